import { performance } from 'node:perf_hooks';
import type { RequestView } from '../core/request/request-view.ts';
import { loadTenantSeed } from '../local/tenant/seed/load-tenant-seed.ts';
import { signIn } from '../test/functions/support/courier-stack.ts';
import { httpsCall } from '../test/local/host/support/https-call.ts';
import { benchEmployees } from './bench-employees.ts';
import { startBenchStack } from './start-bench-stack.ts';

/** The 10 s timer notifications were drained by before delivery on write: its mean wait. */
const OLD_TIMER_MEAN_WAIT_MS = 5_000;

/**
 * How soon a notification reaches Teams after it is written, now that the write nudges the
 * storage queue and the queue trigger delivers it (local host, Azurite's queue service, the
 * local Teams stand-in). `requests` generated employees of Lars Eriksson ask for a key through
 * the API, `concurrency` at a time; for each, the time from POST until the request reads
 * AwaitingApproval (the transition and its outbox row are written) and until Lars's approval card
 * is in his Teams chat. Prints p50/p95 of both, of the difference (the delivery lag), and the
 * lag's ratio to the mean wait of the 10-second timer it replaced.
 */
export async function runNotificationBench({
  requests,
  concurrency,
}: {
  requests: number;
  concurrency: number;
}): Promise<void> {
  const seed = await loadTenantSeed();
  const employees = benchEmployees(
    seed,
    requests,
    {
      idBlock: '9100',
      upnPrefix: 'bench.notified',
      displayName: 'Bench Notified',
      employeeIdDigit: '7',
    },
    () => ({ manager: 'lars.eriksson@fabrikam.example' }),
  );
  const { stack, close } = await startBenchStack('notifications', seed, employees);
  const target = { url: stack.host.url, caPem: stack.host.caPem };
  const lars = stack.teams.as('manager');
  const cardSeen = new Map<string, number>();
  let watching = true;
  // Lars's chat, watched as Teams would show it: the first moment each employee's card is there.
  const watcher = (async () => {
    while (watching) {
      const now = performance.now();
      for (const message of lars.chat()) {
        const name = /Security key request from (Bench Notified \d+)/.exec(
          JSON.stringify(message.card ?? ''),
        )?.[1];
        if (name && !cardSeen.has(name)) cardSeen.set(name, now);
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  try {
    const recorded: number[] = [];
    const delivered: number[] = [];
    const lag: number[] = [];
    for (let first = 0; first < employees.length; first += concurrency) {
      await Promise.all(
        employees.slice(first, first + concurrency).map(async (employee) => {
          const token = await signIn(stack, employee.userPrincipalName);
          const call = (method: string, path: string, body?: unknown) =>
            httpsCall(target, method, `/api/${path}`, {
              ...(body === undefined ? {} : { body: JSON.stringify(body) }),
              headers: {
                authorization: `Bearer ${token}`,
                ...(body === undefined ? {} : { 'content-type': 'application/json' }),
              },
            });
          const began = performance.now();
          const created = await call('POST', 'requests', { reason: 'new-hire' });
          if (created.status !== 202) throw new Error(`${created.status} ${created.text}`);
          const { requestId } = created.json<{ requestId: string }>();
          let awaiting: number | undefined;
          for (let tries = 0; tries < 6000 && !cardSeen.has(employee.displayName); tries++) {
            if (awaiting === undefined) {
              const view = await call('GET', `requests/${requestId}`);
              if (view.status === 200 && view.json<RequestView>().state === 'AwaitingApproval') {
                awaiting = performance.now();
              }
            }
            await new Promise((resolve) => setTimeout(resolve, 5));
          }
          const card = cardSeen.get(employee.displayName);
          if (card === undefined) throw new Error(`no card for ${employee.displayName}`);
          const state = awaiting ?? card;
          recorded.push(state - began);
          delivered.push(card - began);
          lag.push(Math.max(0, card - state));
        }),
      );
    }
    const p = (samples: number[], q: number) =>
      [...samples].sort((a, b) => a - b)[Math.max(0, Math.ceil((q / 100) * samples.length) - 1)]!;
    const line = (name: string, samples: number[]) =>
      `  ${name.padEnd(34)} p50 ${p(samples, 50).toFixed(0).padStart(5)} ms  p95 ${p(samples, 95).toFixed(0).padStart(5)} ms`;
    console.log(
      `notifications: ${requests} approval cards delivered on write through the queue trigger (${concurrency} requests at a time)`,
    );
    console.log(line('POST → AwaitingApproval recorded', recorded));
    console.log(line('POST → approval card in Teams', delivered));
    console.log(line('delivery lag (card − recorded)', lag));
    console.log(
      `  lag p50 / the 10 s timer's mean wait (${OLD_TIMER_MEAN_WAIT_MS} ms): ${(p(lag, 50) / OLD_TIMER_MEAN_WAIT_MS).toFixed(2)}`,
    );
  } finally {
    watching = false;
    await watcher;
    await close();
  }
}
