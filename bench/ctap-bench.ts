import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { CtapHidDevice } from '../station/ctap/ctap-hid-device.ts';
import { Ctap2 } from '../station/ctap/ctap2.ts';
import { openInMemoryConnection } from '../station/transport/in-memory-transport.ts';
import { openUdpConnection } from '../station/transport/udp-transport.ts';
import { VirtualKey } from '../station/virtual-key/virtual-key.ts';
import { missingRequirement, PYTHON_FIDO2 } from '../test/support/system-requirement.ts';
import { runCtapSequence } from '../station/provision/ctap-sequence.ts';

const ROOT = join(import.meta.dirname, '..');
const PIN = '58203947';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** A line-oriented child process: send a line, await the next line matching a pattern. */
function lineProcess(
  command: string,
  args: string[],
): { child: ChildProcessWithoutNullStreams; next: (pattern: RegExp) => Promise<string> } {
  const child = spawn(command, args, { cwd: ROOT, stdio: 'pipe' });
  const pending: {
    pattern: RegExp;
    resolve: (line: string) => void;
    reject: (error: Error) => void;
  }[] = [];
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  createInterface({ input: child.stdout }).on('line', (line) => {
    const index = pending.findIndex((p) => p.pattern.test(line));
    if (index >= 0) pending.splice(index, 1)[0]!.resolve(line);
  });
  child.once('exit', (code) => {
    for (const p of pending.splice(0))
      p.reject(new Error(`${command} exited (${code}): ${stderr.trim()}`));
  });
  return {
    child,
    next: (pattern) => new Promise((resolve, reject) => pending.push({ pattern, resolve, reject })),
  };
}

/**
 * The per-key CTAP sequence (getInfo → setPIN → setMinPINLength → makeCredential → getAssertion →
 * forcePINChange) against a zero-latency software key: in memory, and over UDP to a key in its own
 * process, where python-fido2 runs the identical sequence against the same key, interleaved run by
 * run. Each run starts from a reset key; only the sequence is timed.
 */
export async function runCtapBench(runs: number): Promise<void> {
  const missing = missingRequirement(PYTHON_FIDO2);
  if (missing)
    throw new Error(`${missing} The ratio against python-fido2 cannot be measured without it.`);

  const memoryKey = await VirtualKey.create();
  const memory: number[] = [];
  for (let i = 0; i < runs + 2; i++) {
    memoryKey.replug();
    const device = await CtapHidDevice.open(openInMemoryConnection(memoryKey));
    const ctap = new Ctap2(device);
    await ctap.reset();
    const started = performance.now();
    await runCtapSequence({ ctap }, PIN);
    if (i >= 2) memory.push(performance.now() - started); // two warm-up runs
    await device.close();
  }

  const key = lineProcess(process.execPath, [
    join(ROOT, 'bin/station.js'),
    'virtual-key',
    '--udp',
    '0',
    '--latency',
    '0',
  ]);
  const listening = await key.next(/listening\s+udp:/);
  const port = Number(/:(\d+)$/.exec(listening.trim())![1]);
  const python = lineProcess('/usr/bin/python3', [
    join(ROOT, 'test/interop/python_fido2_client.py'),
    'bench',
    '--port',
    String(port),
  ]);
  const ours: number[] = [];
  const theirs: number[] = [];
  try {
    const runOurs = async (): Promise<number> => {
      key.child.stdin.write('replug\n');
      await key.next(/plugged in/);
      const device = await CtapHidDevice.open(await openUdpConnection({ port }));
      const ctap = new Ctap2(device);
      await ctap.reset();
      const started = performance.now();
      await runCtapSequence({ ctap }, PIN);
      const elapsed = performance.now() - started;
      await device.close();
      return elapsed;
    };
    const runPython = async (): Promise<number> => {
      key.child.stdin.write('replug\n');
      await key.next(/plugged in/);
      python.child.stdin.write('run\n');
      return (JSON.parse(await python.next(/"seconds"/)) as { seconds: number }).seconds * 1000;
    };
    for (let i = 0; i < runs + 2; i++) {
      // Alternate who goes first, so neither always meets a freshly re-plugged, colder key process.
      let a: number;
      let b: number;
      if (i % 2 === 0) {
        a = await runOurs();
        b = await runPython();
      } else {
        b = await runPython();
        a = await runOurs();
      }
      if (i >= 2) {
        ours.push(a);
        theirs.push(b);
      }
    }
  } finally {
    python.child.stdin.end();
    key.child.kill('SIGTERM');
  }

  const pythonVersion = spawnSync(
    '/usr/bin/python3',
    ['-c', 'import fido2; print(fido2.__version__)'],
    { encoding: 'utf8' },
  ).stdout.trim();
  const oursUdp = median(ours);
  const pythonUdp = median(theirs);
  const ratio = oursUdp / pythonUdp;
  console.log(`ctap: per-key sequence, median of ${runs} runs each, zero-latency software key`);
  console.log(`  in-memory (this stack)          ${median(memory).toFixed(2)} ms`);
  console.log(`  UDP (this stack)                ${oursUdp.toFixed(2)} ms`);
  console.log(`  ${`UDP (python-fido2 ${pythonVersion})`.padEnd(32)}${pythonUdp.toFixed(2)} ms`);
  console.log(
    `  ratio ours/python-fido2 (UDP)   ${ratio.toFixed(3)}   target ≤ 1.0: ${ratio <= 1 ? 'met' : 'NOT met'}`,
  );
}
