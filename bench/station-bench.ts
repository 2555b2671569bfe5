import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { openKey } from '../station/provision/key-slot.ts';
import { udpSlot } from '../station/provision/key-slots.ts';
import { silentPrompts } from '../station/provision/key-prompts.ts';
import { provisionJob } from '../station/provision/provision-job.ts';
import { StationApiClient } from '../station/service/station-api-client.ts';
import { VIRTUAL_ATTESTATION_ROOT_PEM } from '../station/virtual-key/attestation-authority.ts';

const ROOT = join(import.meta.dirname, '..');
const TOUCH_MS = 1000;
const MAKE_CREDENTIAL_MS = 300;
const COMMAND_MS = 10;

function child(args: string[]): {
  process: ChildProcessWithoutNullStreams;
  line: (pattern: RegExp) => Promise<string>;
} {
  const proc = spawn(process.execPath, args, { cwd: ROOT, stdio: 'pipe' });
  let stderr = '';
  proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const waiting: {
    pattern: RegExp;
    resolve: (line: string) => void;
    reject: (e: Error) => void;
  }[] = [];
  createInterface({ input: proc.stdout }).on('line', (text) => {
    const i = waiting.findIndex((w) => w.pattern.test(text));
    if (i >= 0) waiting.splice(i, 1)[0]!.resolve(text);
  });
  proc.once('exit', (code) => {
    for (const w of waiting.splice(0))
      w.reject(new Error(`${args.join(' ')} exited (${code}): ${stderr.trim()}`));
  });
  return {
    process: proc,
    line: (pattern) => new Promise((resolve, reject) => waiting.push({ pattern, resolve, reject })),
  };
}

/** A software key in its own process, with a YubiKey's delays: touches, makeCredential, commands. */
async function keyProcess() {
  const key = child([
    join(ROOT, 'bin/station.js'),
    'virtual-key',
    '--udp',
    '0',
    '--presence',
    `delay:${TOUCH_MS}`,
    '--make-credential-latency',
    String(MAKE_CREDENTIAL_MS),
    '--latency',
    String(COMMAND_MS),
  ]);
  const listening = await key.line(/listening\s+udp:/);
  return { process: key.process, port: Number(/:(\d+)$/.exec(listening.trim())![1]) };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const m = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[m]! : (sorted[m - 1]! + sorted[m]!) / 2;
}

/**
 * The station's parallelism and its own cost. Tenant, Azurite and functions host run in one
 * child process, each software key in its own (touch 1 s, makeCredential +300 ms, 10 ms per
 * command); this process is only the station. Each round programs 1 key alone, then 8 keys at
 * once, each a whole job (claim → … → forcePINChange confirmed). Prints the wall time of both,
 * their ratio (target ≤ 1.5), and the station's CPU time per key (process.cpuUsage) as a share of
 * the time the key spent on its job (target ≤ 5 %).
 */
export async function runStationBench(rounds: number): Promise<void> {
  const parallel = 8;
  const stack = child([
    '--import',
    'tsx',
    join(ROOT, 'bench/station-bench-stack.ts'),
    '--jobs',
    String(rounds * (parallel + 1)),
  ]);
  const ready = JSON.parse(await stack.line(/^\{/)) as {
    url: string;
    caPem: string;
    token: string;
    jobs: string[];
  };
  const client = new StationApiClient({
    baseUrl: ready.url,
    caPem: ready.caPem,
    token: () => Promise.resolve(ready.token),
  });
  const jobs = [...ready.jobs];
  const single: number[] = [];
  const many: number[] = [];
  const cpuShare: number[] = [];
  try {
    const program = async (port: number): Promise<number> => {
      const jobId = jobs.shift()!;
      const claim = (await client.claim(jobId, 'bench-station', 300))!;
      const key = await openKey(udpSlot({ port, localPort: 0 }));
      const started = performance.now();
      try {
        await provisionJob({
          key,
          job: claim.job,
          leaseId: claim.lease.leaseId,
          service: client,
          prompts: silentPrompts,
          attestationRoots: [VIRTUAL_ATTESTATION_ROOT_PEM],
        });
        return performance.now() - started;
      } finally {
        await key.close();
      }
    };
    for (let round = 0; round < rounds; round++) {
      const keys = await Promise.all(Array.from({ length: parallel + 1 }, () => keyProcess()));
      try {
        let started = performance.now();
        await program(keys[0]!.port);
        single.push(performance.now() - started);
        const cpu = process.cpuUsage();
        started = performance.now();
        const deviceTimes = await Promise.all(keys.slice(1).map((k) => program(k.port)));
        many.push(performance.now() - started);
        const used = process.cpuUsage(cpu);
        const cpuPerKeyMs = (used.user + used.system) / 1000 / parallel;
        cpuShare.push(cpuPerKeyMs / median(deviceTimes));
      } finally {
        for (const k of keys) k.process.kill('SIGTERM');
      }
    }
  } finally {
    client.close();
    stack.process.stdin.end();
  }
  const one = median(single);
  const eight = median(many);
  const ratio = eight / one;
  const share = median(cpuShare) * 100;
  console.log(
    `station: whole jobs against the local stack, software keys in their own processes (touch ${TOUCH_MS} ms, makeCredential +${MAKE_CREDENTIAL_MS} ms), median of ${rounds} rounds`,
  );
  console.log(`  1 key                           ${(one / 1000).toFixed(2)} s`);
  console.log(`  ${parallel} keys in parallel              ${(eight / 1000).toFixed(2)} s`);
  console.log(
    `  ratio ${parallel} keys / 1 key              ${ratio.toFixed(2)}   target ≤ 1.5: ${ratio <= 1.5 ? 'met' : 'NOT met'}`,
  );
  console.log(
    `  station CPU per key / key time  ${share.toFixed(2)} %   target ≤ 5 %: ${share <= 5 ? 'met' : 'NOT met'}`,
  );
}
