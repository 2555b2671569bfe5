import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientPin } from '../../../station/ctap/client-pin.ts';
import { openKey } from '../../../station/provision/key-slot.ts';
import { udpSlot } from '../../../station/provision/key-slots.ts';
import { serveVirtualKeyOverUdp, type UdpServer } from '../../../station/virtual-key/udp-server.ts';
import { VirtualKey } from '../../../station/virtual-key/virtual-key.ts';
import { VIRTUAL_ATTESTATION_ROOT_PEM } from '../../../station/virtual-key/attestation-authority.ts';
import { silentPrompts } from '../../../station/provision/key-prompts.ts';
import { provisionJob } from '../../../station/provision/provision-job.ts';
import { startTestStack, type TestStack } from '../../functions/support/courier-stack.ts';
import {
  cacheSignIn,
  queueJobs,
  stationClient,
  stationEnvironment,
} from '../support/station-harness.ts';

const ROOT = join(import.meta.dirname, '../../..');
let home: string;
let key: VirtualKey;
let server: UdpServer;

let stack: TestStack;
let env: Record<string, string>;

beforeAll(async () => {
  stack = await startTestStack();
  ({ home, env } = await stationEnvironment(stack, 'station-inspect-'));
  await cacheSignIn(stack, home, 'operator');
  key = await VirtualKey.create({ serial: 42000042 });
  server = await serveVirtualKeyOverUdp(key, { port: 0 });
}, 60_000);
afterAll(async () => {
  await server?.close();
  await stack?.stop();
  if (home) await rm(home, { recursive: true, force: true });
});

/** Runs the station, answering its lines with `respond`; resolves with its output and exit code. */
function station(
  args: string[],
  respond: (line: string, write: (text: string) => void) => void = () => undefined,
) {
  const child = spawn(process.execPath, [join(ROOT, 'bin/station.js'), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: 'pipe',
  });
  const lines: string[] = [];
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(line);
    respond(line, (text) => child.stdin.write(text));
  });
  // Questions end without a newline: read partial output too.
  child.stdout.on('data', (c: Buffer) => {
    const text = c.toString();
    if (!text.endsWith('\n')) respond(text, (answer) => child.stdin.write(answer));
  });
  return new Promise<{ code: number; lines: string[]; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code: code ?? -1, lines, stderr })),
  );
}

describe('station inspect and station reset, on a software key over UDP', () => {
  it('inspect tells everything the key says, as text and as JSON', async () => {
    const address = `127.0.0.1:${server.port}`;
    const text = await station(['inspect', '--udp', address, '--udp-local-port', '0']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.lines.join('\n')).toMatch(/Serial\s+42000042/);
    expect(text.lines.join('\n')).toMatch(/PIN set\s+no/);
    const json = await station(['--json', 'inspect', '--udp', address, '--udp-local-port', '0']);
    expect(JSON.parse(json.lines[0]!)).toMatchObject({
      event: 'key',
      serial: 42000042,
      aaguid: key.aaguid,
      firmware: '5.7.4',
      pinSet: false,
      pinProtocols: [2, 1],
    });
  }, 60_000);

  it('reset asks first, then guides unplug, plug in and touch', async () => {
    const open = await openKey(udpSlot({ port: server.port, localPort: 0 }));
    await ClientPin.forInfo(open.ctap, await open.ctap.getInfo()).setPin('27182818');
    await open.close();
    expect(key.info().options.clientPin).toBe(true);
    const address = `127.0.0.1:${server.port}`;
    const declined = await station(
      ['reset', '--udp', address, '--udp-local-port', '0'],
      (line, write) => {
        if (line.includes('Type "reset"')) write('no\n');
      },
    );
    expect(declined.code).toBe(1);
    expect(key.info().options.clientPin).toBe(true);
    const reset = await station(
      ['reset', '--udp', address, '--udp-local-port', '0'],
      (line, write) => {
        if (line.includes('Type "reset"')) write('reset\n');
        if (line.includes('>> Unplug')) setTimeout(() => key.remove(), 50);
        if (line.includes('>> Plug')) setTimeout(() => key.replug(), 50);
      },
    );
    expect(reset.code, reset.stderr).toBe(0);
    expect(reset.lines.join('\n')).toMatch(
      /Touch key 42000042 on udp 127\.0\.0\.1:\d+ now to reset it/,
    );
    expect(key.info().options.clientPin).toBe(false);
  }, 60_000);

  it('refuses to reset a key that belongs to a live request, unless IT forces it (both audited)', async () => {
    const [jobId] = await queueJobs(stack, 'reset-live', ['hana.suzuki@fabrikam.example']);
    const client = stationClient(stack);
    const claim = (await client.claim(jobId!, 'mailroom-r'))!;
    const open = await openKey(udpSlot({ port: server.port, localPort: 0 }));
    await provisionJob({
      key: open,
      job: claim.job,
      leaseId: claim.lease.leaseId,
      service: client,
      prompts: silentPrompts,
      attestationRoots: [VIRTUAL_ATTESTATION_ROOT_PEM],
    });
    await open.close();
    client.close();
    const address = `127.0.0.1:${server.port}`;
    const refused = await station(['reset', '--udp', address, '--udp-local-port', '0', '--yes']);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/Key 42000042 belongs to request .*: do not reset it/);
    expect(key.info().options.clientPin).toBe(true);
    const audit = await stack.as('admin').get(`manage/audit?requestId=${claim.job.requestId}`);
    expect(audit.json<{ records: { event: string }[] }>().records.map((r) => r.event)).toContain(
      'key-reset-refused',
    );
  }, 90_000);
});
