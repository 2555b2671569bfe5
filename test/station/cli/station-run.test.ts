import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveVirtualKeyOverUdp, type UdpServer } from '../../../station/virtual-key/udp-server.ts';
import { VirtualKey } from '../../../station/virtual-key/virtual-key.ts';
import { startTestStack, type TestStack } from '../../functions/support/courier-stack.ts';
import {
  missingRequirement,
  POPPLER,
  strictRequirements,
  TMUX,
} from '../../support/system-requirement.ts';
import { queueJobs, stationEnvironment } from '../support/station-harness.ts';
import { TmuxSession } from './tmux-session.ts';

const ROOT = join(import.meta.dirname, '../../..');
const missing = missingRequirement(TMUX) ?? missingRequirement(POPPLER);
if (missing && strictRequirements) throw new Error(missing);

let stack: TestStack;
let home: string;
const keys: VirtualKey[] = [];
const servers: UdpServer[] = [];
const sessions: TmuxSession[] = [];
let env: Record<string, string>;

beforeAll(async () => {
  if (missing) return;
  stack = await startTestStack({ tenantOptions: { deviceCodeIntervalSeconds: 1 } });
  const prepared = await stationEnvironment(stack, 'station-home-');
  home = prepared.home;
  env = {
    ...prepared.env,
    STATION_TRUST_SOFTWARE_KEYS: 'true',
    STATION_ID: 'mailroom-tmux',
    NO_COLOR: '1',
  };
}, 60_000);
afterAll(async () => {
  for (const session of sessions) session.kill();
  for (const server of servers) await server.close();
  await stack?.stop();
  if (home) await rm(home, { recursive: true, force: true });
});

function digitRuns(text: string): string[] {
  return [...text.matchAll(/\d{6,}/g)].flatMap((m) => {
    const runs: string[] = [];
    for (let i = 0; i < m[0].length; i++)
      for (let j = i + 6; j <= m[0].length; j++) runs.push(m[0].slice(i, j));
    return runs;
  });
}

/** True when `text` contains the PIN of `key` (checked against the key's own PIN hash). */
function containsPin(text: string, key: VirtualKey): boolean {
  const hash = key.snapshot().pinHash!;
  return digitRuns(text).some((run) =>
    createHash('sha256').update(run).digest().subarray(0, 16).equals(hash),
  );
}

describe.skipIf(missing !== undefined)(
  'station login and station run, as the operator sees them in a terminal',
  () => {
    it('signs in with a device code, then programs two keys in parallel, prints slips, records tracking', async () => {
      const login = new TmuxSession(`login-${process.pid}`, `node bin/station.js login`, env, ROOT);
      sessions.push(login);
      const code = await login.waitFor(/enter the code ([A-Z0-9-]+)/);
      expect(stack.tenant.controls.approveDeviceCode(code[1]!, 'operator').ok).toBe(true);
      await login.waitFor(/Signed in to .* until .*\(token kept in a file only you can read/);
      await login.waitFor(/EXIT=0/);
      expect(login.screen()).not.toMatch(/eyJ/);

      await queueJobs(stack, 'tmux-run', [
        'lina.haddad@fabrikam.example',
        'chloe.dubois@fabrikam.example',
      ]);
      const addresses: string[] = [];
      for (const serial of [41000001, 41000002]) {
        const key = await VirtualKey.create({ serial });
        const server = await serveVirtualKeyOverUdp(key, { port: 0 });
        keys.push(key);
        servers.push(server);
        addresses.push(`127.0.0.1:${server.port}`);
      }
      const run = new TmuxSession(
        `run-${process.pid}`,
        `node bin/station.js run --udp ${addresses.join(' ')} --udp-local-port 0 --jobs 2`,
        env,
        ROOT,
      );
      sessions.push(run);
      await run.waitFor(/REQUESTER\s+SHIP TO\s+KEY CLASS\s+STATE/);
      await run.waitFor(/Carrier \(e\.g\. PostNord, DHL\):/, 60_000);
      run.type('PostNord');
      const first = await run.waitFor(
        /Tracking number for (.+) \(key (\d+) on udp [^)]+\) — type or scan:/,
      );
      run.type('x!');
      await run.waitFor(/Tracking numbers are 4-64 letters/);
      // The same question again, for the same key, before anything else is asked.
      const again = run.screen().indexOf('Tracking numbers are 4-64 letters');
      const reasked = await run.waitFor(
        /Tracking number for (.+) \(key (\d+) on udp [^)]+\) — type or scan:/,
        30_000,
        again,
      );
      expect(reasked[2]).toBe(first[2]);
      run.type('JD0146000062811');
      const second = await run.waitFor(
        new RegExp(
          `Tracking number for (?!${first[1]})(.+) \\(key (\\d+) on udp [^)]+\\) — type or scan:`,
        ),
      );
      run.type('JD0146000062812');
      await run.waitFor(/2 job\(s\) done, 0 failed\./, 60_000);
      await run.waitFor(/EXIT=0/);
      const screen = run.screen();
      expect(new Set([first[2], second[2]])).toEqual(new Set(['41000001', '41000002']));
      // Every prompt names its key; the keys were programmed at the same time.
      expect(screen).toMatch(/key 41000001 on udp 127\.0\.0\.1:\d+: job job-/);
      expect(screen).toMatch(/key 41000002 on udp 127\.0\.0\.1:\d+: job job-/);
      expect(screen).toMatch(/shipped with PostNord JD0146000062811/);
      for (const key of keys) expect(key.info().forcePinChange).toBe(true);

      // The slips: read back as text, and rendered.
      const slips = (await readdir(join(home, 'slips'))).filter((f) => f.endsWith('.pdf'));
      expect(slips).toHaveLength(2);
      const texts: string[] = [];
      for (const slip of slips) {
        const path = join(home, 'slips', slip);
        const text = execFileSync('pdftotext', ['-layout', path, '-'], { encoding: 'utf8' });
        texts.push(text);
        expect(text).toContain('Passkey Courier');
        expect(text).toMatch(/Key serial: 4100000[12]/);
        expect(text).toContain(slip.replace(/\.pdf$/, ''));
        execFileSync('pdftoppm', ['-png', '-r', '50', '-singlefile', path, join(home, 'render')]);
        expect((await readFile(join(home, 'render.png'))).length).toBeGreaterThan(5_000);
      }
      expect(texts.join('\n')).toMatch(/Lina Haddad/);
      expect(texts.join('\n')).toMatch(/Chloé Dubois|Chloe Dubois/);

      // No PIN on the screen, in the slips, or in the station's files.
      const token = await readFile(join(home, 'token.json'), 'utf8');
      for (const key of keys) {
        expect(containsPin(screen, key)).toBe(false);
        for (const text of texts) expect(containsPin(text, key)).toBe(false);
        expect(containsPin(token, key)).toBe(false);
        for (const slip of slips)
          expect(
            containsPin((await readFile(join(home, 'slips', slip))).toString('latin1'), key),
          ).toBe(false);
      }
    }, 180_000);
  },
);
