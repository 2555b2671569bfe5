import { join } from 'node:path';
import type { StationJob } from '../../core/station-api/station-api-schemas.ts';
import type { KeyPrompts } from '../provision/key-prompts.ts';
import { readKeyProfile } from '../provision/key-profile.ts';
import {
  waitUntilInserted,
  waitUntilRemoved,
  type KeySlot,
  type OpenKey,
} from '../provision/key-slot.ts';
import { ProvisionError } from '../provision/provision-error.ts';
import { provisionJob } from '../provision/provision-job.ts';
import { keyName } from '../provision/provision-key.ts';
import type { StationApiClient } from '../service/station-api-client.ts';
import { writePackingSlip } from '../slip/packing-slip.ts';
import { udpSlots, watchUsb, type KeySourceOptions } from './key-sources.ts';
import type { StationConfig } from './station-config.ts';
import type { Terminal } from './terminal.ts';

export interface RunOptions extends KeySourceOptions {
  /** Stop after this many jobs (for scripted runs); default: run until Ctrl+C. */
  jobs: number | undefined;
  leaseSeconds: number;
}

const TRACKING = /^[A-Za-z0-9 -]{4,64}$/;

/** One line per job of the mailroom's queue: requester, office/ship-to, key class, state. */
export function queueTable(jobs: StationJob[]): string[] {
  if (jobs.length === 0) return ['The queue is empty.'];
  return [
    `${'REQUESTER'.padEnd(24)} ${'SHIP TO'.padEnd(36)} ${'KEY CLASS'.padEnd(22)} STATE`,
    ...jobs.map(
      (j) =>
        `${j.recipient.displayName.slice(0, 24).padEnd(24)} ${(j.recipient.shippingAddress ?? '(in person)').replace(/\s+/g, ' ').slice(0, 36).padEnd(36)} ${j.keyClass.name.slice(0, 22).padEnd(22)} ${j.state}`,
    ),
  ];
}

/**
 * The operator's loop: show the queue; for every key plugged in, claim the next job and program
 * it (several keys in parallel, one job each), print its packing slip, record carrier and tracking
 * number, and ask for the key to be unplugged. Resolves with the number of jobs that failed.
 */
export async function runStation(
  config: StationConfig,
  client: StationApiClient,
  roots: string[],
  options: RunOptions,
  terminal: Terminal,
  signal: AbortSignal,
): Promise<{ done: number; failed: number }> {
  const queue = await client.queue();
  terminal.say(
    `Station ${config.stationId} — service ${config.serviceUrl}`,
    { event: 'started', stationId: config.stationId, queue: queue.length },
    'bold',
  );
  for (const line of queueTable(queue)) terminal.say(line);
  const stop = new AbortController();
  const stopping = AbortSignal.any([signal, stop.signal]);
  const tally = { done: 0, failed: 0 };
  // Asked once, whichever key gets there first; the others wait for the same answer.
  let carrier: Promise<string> | undefined = config.carrier
    ? Promise.resolve(config.carrier)
    : undefined;
  const finishedOne = () => {
    if (options.jobs !== undefined && tally.done + tally.failed >= options.jobs) stop.abort();
  };
  const workers: Promise<void>[] = [];
  let usbFailure: unknown;
  const start = (slot: KeySlot, persistent: boolean) => {
    workers.push(
      worker(slot, persistent).catch((error: unknown) => {
        if (!stopping.aborted) terminal.error(`${slot.port}: ${(error as Error).message}`);
      }),
    );
  };

  async function worker(slot: KeySlot, persistent: boolean): Promise<void> {
    do {
      let key: OpenKey;
      try {
        key = await waitUntilInserted(slot, stopping);
      } catch {
        return;
      }
      const profile = await readKeyProfile(key.device, key.ctap);
      let name = keyName(profile, key);
      terminal.say(`${name}: plugged in (${profile.model})`, {
        event: 'key-plugged',
        port: slot.port,
        serial: profile.serial,
      });
      let claim;
      for (;;) {
        if (stopping.aborted) return void (await key.close());
        claim = await client.claimNext(config.stationId, options.leaseSeconds);
        if (claim) break;
        terminal.say(`${name}: no job is waiting; checking again in 5 s.`, {
          event: 'idle',
          port: slot.port,
        });
        await sleep(5000, stopping);
      }
      const { job, lease } = claim;
      terminal.say(
        `${name}: job ${job.jobId} for ${job.recipient.displayName} <${job.recipient.userPrincipalName}> (${job.keyClass.name})`,
        {
          event: 'claimed',
          jobId: job.jobId,
          requestId: job.requestId,
          port: slot.port,
          serial: profile.serial,
        },
        'cyan',
      );
      const prompts: KeyPrompts = {
        step: (step, message) =>
          terminal.say(
            `  ${message}…`,
            { event: 'step', step, jobId: job.jobId, port: slot.port, message },
            'dim',
          ),
        prompt: (kind, message) =>
          terminal.say(
            `>> ${message}`,
            { event: 'prompt', kind, jobId: job.jobId, port: slot.port, message },
            'yellow',
            'bold',
          ),
        countdown: (left) =>
          terminal.say(`   ${left} s`, { event: 'countdown', secondsLeft: left, port: slot.port }),
      };
      try {
        const result = await provisionJob({
          key,
          job,
          leaseId: lease.leaseId,
          service: client,
          prompts,
          attestationRoots: roots,
          minPinLength: config.minPinLength,
          leaseSeconds: options.leaseSeconds,
          heartbeatSeconds: Math.max(5, Math.floor(options.leaseSeconds / 3)),
          signal: stopping,
        });
        key = result.key;
        name = keyName(result, key);
        const slipPath = join(config.slipsDirectory, `${job.requestId}.pdf`);
        await writePackingSlip(slipPath, {
          requestId: job.requestId,
          jobId: job.jobId,
          recipient: job.recipient,
          keySerial: result.serial,
          keyModel: result.model,
          keyClass: job.keyClass.name,
          stationId: config.stationId,
          preparedAt: new Date(),
        });
        terminal.say(
          `${name}: registered. Packing slip: ${slipPath}`,
          { event: 'slip', jobId: job.jobId, path: slipPath, serial: result.serial },
          'green',
        );
        carrier ??= terminal.ask('Carrier (e.g. PostNord, DHL):', { field: 'carrier' });
        const shippedWith = await carrier;
        const tracking = await terminal.ask(
          `Tracking number for ${job.recipient.displayName} (${name}) — type or scan:`,
          { field: 'tracking', jobId: job.jobId, port: slot.port },
          (answer) =>
            TRACKING.test(answer)
              ? undefined
              : 'Tracking numbers are 4-64 letters, digits, spaces or dashes; try again.',
        );
        await client.ship(job.jobId, {
          leaseId: lease.leaseId,
          carrier: shippedWith,
          trackingNumber: tracking,
        });
        tally.done += 1;
        terminal.say(
          `${name}: shipped with ${shippedWith} ${tracking}. Job ${job.jobId} done.`,
          {
            event: 'shipped',
            jobId: job.jobId,
            carrier: shippedWith,
            trackingNumber: tracking,
            serial: result.serial,
          },
          'green',
          'bold',
        );
      } catch (error) {
        tally.failed += 1;
        const failure = error instanceof ProvisionError ? error : undefined;
        terminal.error(`${name}: ${failure?.message ?? (error as Error).message}`, {
          jobId: job.jobId,
          port: slot.port,
          code: failure?.code ?? 'FAILED',
          needsReset: failure?.needsReset ?? false,
        });
        if (failure?.needsReset)
          terminal.say(
            `${name}: NEEDS RESET before it is used again (station reset).`,
            { event: 'needs-reset', port: slot.port },
            'red',
            'bold',
          );
      }
      finishedOne();
      if (stopping.aborted) return void (await key.close());
      terminal.say(`Unplug ${name}.`, { event: 'unplug', port: slot.port });
      await waitUntilRemoved(key, stopping).catch(() => undefined);
      await key.close();
    } while (persistent && !stopping.aborted);
  }

  const udp = udpSlots(options);
  if (udp.length > 0) for (const slot of udp) start(slot, true);
  else {
    terminal.say('Plug in the keys to program (several at once is fine).', {
      event: 'waiting-for-keys',
    });
    workers.push(
      watchUsb((slot) => start(slot, false), stopping).catch((error: unknown) => {
        usbFailure = error;
        stop.abort();
      }),
    );
  }
  await new Promise<void>((resolve) => {
    if (stopping.aborted) resolve();
    stopping.addEventListener('abort', () => resolve(), { once: true });
  });
  await Promise.allSettled(workers);
  if (usbFailure instanceof Error) throw usbFailure;
  return tally;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
