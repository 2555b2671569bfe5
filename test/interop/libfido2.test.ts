import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveVirtualKeyOverUdp, type UdpServer } from '../../station/virtual-key/udp-server.ts';
import { VirtualKey } from '../../station/virtual-key/virtual-key.ts';
import {
  LIBFIDO2_DEV,
  missingRequirement,
  OPENSSL,
  strictRequirements,
} from '../support/system-requirement.ts';
import { runProcess } from './run-process.ts';

const missing = missingRequirement(LIBFIDO2_DEV) ?? missingRequirement(OPENSSL);

/**
 * Yubico's libfido2 (C) drives the software key over HID-over-UDP through its custom I/O hooks:
 * the harness in libfido2_client.c is compiled here against Debian's libfido2-dev. libfido2
 * verifies the packed attestation and the assertion itself; OpenSSL checks the certificate chain.
 */
describe.skipIf(missing !== undefined && !strictRequirements)(
  'libfido2 against the software key',
  () => {
    let key: VirtualKey;
    let server: UdpServer;
    let work: string;
    let binary: string;

    beforeAll(async () => {
      if (missing) throw new Error(missing);
      work = mkdtempSync(join(tmpdir(), 'courier-libfido2-'));
      binary = join(work, 'libfido2_client');
      const build = spawnSync(
        'cc',
        [
          '-Wall',
          '-Werror',
          '-O1',
          '-o',
          binary,
          join(import.meta.dirname, 'libfido2_client.c'),
          '-lfido2',
        ],
        {
          encoding: 'utf8',
        },
      );
      if (build.status !== 0)
        throw new Error(`Compiling the libfido2 harness failed:\n${build.stderr}`);
      key = await VirtualKey.create();
      server = await serveVirtualKeyOverUdp(key, { port: 0 });
    });
    afterAll(async () => server?.close());

    it('runs getInfo, PIN, config, makeCredential, getAssertion and credential management', async () => {
      const full = await runProcess(binary, ['full', String(server.port)]);
      expect(full.checks.filter((c) => c.ok !== true)).toEqual([]);
      expect(full.code).toBe(0);
      expect(full.checks.map((c) => c.check)).toEqual([
        'getInfo',
        'pin',
        'makeCredential',
        'getAssertion',
        'credentialManagement',
        'config',
      ]);
      expect(full.checks[0]).toMatchObject({ firmware: 0x050704, maxMsgSize: 1200 });

      // The x5c certificate chains to the key's attestation root (checked by OpenSSL, not by us).
      const x5c = Buffer.from(
        String(full.checks.find((c) => c.check === 'makeCredential')!.x5c),
        'hex',
      );
      const leafPem = new X509Certificate(x5c).toString();
      writeFileSync(join(work, 'leaf.pem'), leafPem);
      writeFileSync(join(work, 'root.pem'), key.attestation.rootPem);
      const verify = spawnSync(
        'openssl',
        ['verify', '-CAfile', join(work, 'root.pem'), join(work, 'leaf.pem')],
        { encoding: 'utf8' },
      );
      expect(verify.stdout.trim()).toBe(`${join(work, 'leaf.pem')}: OK`);
    });

    it('resets the key within the window after it is plugged in', async () => {
      key.replug();
      const reset = await runProcess(binary, ['reset', String(server.port)]);
      expect(reset.checks).toEqual([{ check: 'reset', ok: true }]);
      expect(reset.code).toBe(0);
      expect(key.info().options.clientPin).toBe(false);
    });
  },
);
