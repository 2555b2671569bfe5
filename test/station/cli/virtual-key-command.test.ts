import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ClientPin } from '../../../station/ctap/client-pin.ts';
import { CtapHidDevice } from '../../../station/ctap/ctap-hid-device.ts';
import { Ctap2 } from '../../../station/ctap/ctap2.ts';
import { readYubiKeyDeviceInfo } from '../../../station/ctap/yubikey-device-info.ts';
import { openUdpConnection } from '../../../station/transport/udp-transport.ts';
import type { TransportError } from '../../../station/transport/transport-error.ts';

const STATION = join(import.meta.dirname, '../../../bin/station.js');

interface RunningKey {
  child: ChildProcessWithoutNullStreams;
  port: number;
  output: () => string;
  waitFor: (pattern: RegExp) => Promise<void>;
  send: (line: string) => void;
}

const running: ChildProcessWithoutNullStreams[] = [];
afterEach(() => {
  for (const child of running.splice(0)) child.kill('SIGTERM');
});

function startKey(args: string[]): Promise<RunningKey> {
  const child = spawn(process.execPath, [STATION, 'virtual-key', ...args], { stdio: 'pipe' });
  running.push(child);
  let output = '';
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    for (const w of [...waiters]) {
      if (w.pattern.test(output)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  });
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const waitFor = (pattern: RegExp): Promise<void> =>
    pattern.test(output)
      ? Promise.resolve()
      : new Promise((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error(`timed out waiting for ${pattern} in:\n${output}`)),
            15_000,
          );
          waiters.push({ pattern, resolve: () => (clearTimeout(timer), resolve()) });
        });
  return waitFor(/listening\s+udp:\/\/127\.0\.0\.1:(\d+)/).then(() => ({
    child,
    port: Number(/listening\s+udp:\/\/127\.0\.0\.1:(\d+)/.exec(output)![1]),
    output: () => output,
    waitFor,
    send: (line: string) => child.stdin.write(`${line}\n`),
  }));
}

async function open(port: number): Promise<{ device: CtapHidDevice; ctap: Ctap2 }> {
  const device = await CtapHidDevice.open(await openUdpConnection({ port }), {
    silenceTimeoutMs: 500,
  });
  return { device, ctap: new Ctap2(device) };
}

describe('npx station virtual-key', () => {
  it('prints its identity, serves HID-over-UDP, and obeys remove, replug and touch', async () => {
    const key = await startKey(['--udp', '0', '--serial', '12345678', '--presence', 'on-demand']);
    expect(key.output()).toMatch(/serial\s+12345678/);
    expect(key.output()).toMatch(/AAGUID\s+[0-9a-f-]{36}/);
    let { device, ctap } = await open(key.port);
    expect((await readYubiKeyDeviceInfo(device))?.serial).toBe(12345678);
    expect((await ctap.getInfo()).options.clientPin).toBe(false);

    key.send('remove');
    await key.waitFor(/key: removed/);
    await expect(device.ping(Uint8Array.of(1))).rejects.toSatisfy(
      (e: TransportError) => e.code === 'DEVICE_REMOVED',
    );

    key.send('replug');
    await key.waitFor(/key: plugged in/);
    ({ device, ctap } = await open(key.port));
    const pending = ctap.selection();
    await key.waitFor(/waiting for a touch/);
    key.send('touch');
    await pending;
    await device.close();
  });

  it('keeps PIN and credentials in --state across restarts', async () => {
    const state = join(mkdtempSync(join(tmpdir(), 'courier-cli-')), 'key.json');
    let key = await startKey(['--udp', '0', '--state', state]);
    let { device, ctap } = await open(key.port);
    await ClientPin.forInfo(ctap, await ctap.getInfo()).setPin('77553311');
    await ctap.makeCredential({
      clientDataHash: createHash('sha256').update('x').digest(),
      rp: { id: 'example.com' },
      user: { id: Uint8Array.of(1), name: 'u' },
      pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
    });
    await device.close();
    key.send('quit');
    await new Promise((resolve) => key.child.once('exit', resolve));

    key = await startKey(['--udp', '0', '--state', state]);
    expect(key.output()).toMatch(/PIN set\s+yes/);
    ({ device, ctap } = await open(key.port));
    const info = await ctap.getInfo();
    expect(info.options.clientPin).toBe(true);
    expect(info.versions).toContain('FIDO_2_1');
    await device.close();
  });

  it('explains bad options and exits with status 2', async () => {
    const child = spawn(
      process.execPath,
      [STATION, 'virtual-key', '--udp', 'eighty', '--presence', 'sometimes'],
      { stdio: 'pipe' },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toMatch(/--udp PORT/);
    expect(stderr).toMatch(/--presence must be immediate, never, on-demand or delay:MS/);
  });
});
