import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startLocalHost } from './start-local-host.ts';

const USAGE = `node --import tsx local/host/measure-throughput.ts ENTRY [options]

Starts the local host on ENTRY with a fresh state folder, starts COUNT instances of an
orchestration through the durable client's RPC endpoint (what DurableClient.startNew calls),
waits for all of them to complete, and prints throughput and start-to-completion latency.

  --orchestration NAME   default greet (the test app's two-activity orchestration)
  --input JSON           default "\\"Ada\\""
  --count N              default 1000
  --concurrency N        starts in flight at once, default 100
  --tls-dir DIR          local CA folder (default .courier/tls)`;

const out = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      orchestration: { type: 'string', default: 'greet' },
      input: { type: 'string', default: '"Ada"' },
      count: { type: 'string', default: '1000' },
      concurrency: { type: 'string', default: '100' },
      'tls-dir': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  const entry = positionals[0];
  if (values.help || !entry) {
    out(USAGE);
    return;
  }
  const count = Number(values.count);
  const concurrency = Number(values.concurrency);
  const stateDirectory = mkdtempSync(join(tmpdir(), 'courier-host-throughput-'));
  const host = await startLocalHost({
    entry,
    port: 0,
    stateDirectory,
    ...(values['tls-dir'] ? { tlsDirectory: values['tls-dir'] } : {}),
  });
  try {
    // Latency runs from the host accepting the start (its first commit of the instance) to the
    // completion, so the HTTP client in this same process does not count against the host.
    const startedAt = new Map<string, number>();
    const latencies: number[] = [];
    let failed = 0;
    const finished = new Promise<void>((resolve) => {
      host.engine.subscribe((record) => {
        if (!record.instanceId.startsWith('throughput-')) return;
        const started = startedAt.get(record.instanceId);
        if (started === undefined) {
          startedAt.set(record.instanceId, performance.now());
          return;
        }
        if (!['Completed', 'Failed', 'Terminated'].includes(record.runtimeStatus)) return;
        startedAt.delete(record.instanceId);
        if (record.runtimeStatus !== 'Completed') failed++;
        latencies.push(performance.now() - started);
        if (latencies.length === count) resolve();
      });
    });
    const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
    const base = new URL(host.durableClientUrl);
    const begin = performance.now();
    let next = 0;
    const worker = async () => {
      while (next < count) {
        const id = `throughput-${next++}`;
        const status = await post(
          agent,
          base,
          `orchestrators/${values.orchestration}/${id}`,
          values.input,
        );
        if (status !== 202) throw new Error(`Starting ${id} answered ${status}.`);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
    const allStarted = performance.now();
    await finished;
    const elapsed = performance.now() - begin;
    agent.destroy();
    latencies.sort((a, b) => a - b);
    const at = (q: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
    out(
      `${count} × ${values.orchestration}: ${elapsed.toFixed(0)} ms, ${((count / elapsed) * 1000).toFixed(0)} orchestrations/s ` +
        `(all started after ${(allStarted - begin).toFixed(0)} ms; ${failed} not completed)`,
    );
    out(
      `accepted → completed latency: p50 ${at(0.5).toFixed(1)} ms, p95 ${at(0.95).toFixed(1)} ms, max ${at(1).toFixed(1)} ms`,
    );
  } finally {
    await host.close();
    rmSync(stateDirectory, { recursive: true, force: true });
  }
}

function post(agent: Agent, base: URL, path: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      new URL(path, base),
      { method: 'POST', agent, headers: { 'content-type': 'application/json' } },
      (incoming) => {
        incoming.resume();
        incoming.on('end', () => resolve(incoming.statusCode ?? 0));
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
