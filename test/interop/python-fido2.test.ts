import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveVirtualKeyOverUdp, type UdpServer } from '../../station/virtual-key/udp-server.ts';
import { VirtualKey } from '../../station/virtual-key/virtual-key.ts';
import {
  missingRequirement,
  PYTHON_FIDO2,
  strictRequirements,
} from '../support/system-requirement.ts';
import { runProcess } from './run-process.ts';

const SCRIPT = join(import.meta.dirname, 'python_fido2_client.py');
const missing = missingRequirement(PYTHON_FIDO2);

/**
 * Yubico's python-fido2 (Debian python3-fido2) drives the software key over HID-over-UDP as an
 * independent CTAP 2.1 client: strict canonical CBOR on every answer, PIN protocols 1 and 2,
 * config, makeCredential with PIN verified by its WebAuthn server against the key's attestation
 * root, getAssertion, hmac-secret, credential management, forcePINChange and reset.
 */
describe.skipIf(missing !== undefined && !strictRequirements)(
  'python-fido2 against the software key',
  () => {
    let key: VirtualKey;
    let server: UdpServer;
    let root: string;

    beforeAll(async () => {
      if (missing) throw new Error(missing);
      key = await VirtualKey.create();
      server = await serveVirtualKeyOverUdp(key, { port: 0 });
      root = join(mkdtempSync(join(tmpdir(), 'courier-interop-')), 'attestation-root.pem');
      writeFileSync(root, key.attestation.rootPem);
    });
    afterAll(async () => server?.close());

    for (const protocol of [2, 1]) {
      it(`runs every flow with PIN/UV auth protocol ${protocol}, then resets the key`, async () => {
        const full = await runProcess('/usr/bin/python3', [
          SCRIPT,
          'full',
          '--port',
          String(server.port),
          '--protocol',
          String(protocol),
          '--root',
          root,
        ]);
        expect(full.stderr).toBe('');
        expect(full.code).toBe(0);
        expect(full.checks.map((c) => c.check)).toEqual([
          'getInfo',
          'pin',
          'config',
          'makeCredential',
          'getAssertion',
          'hmacSecret',
          'credentialManagement',
          'forcePinChange',
        ]);
        const made = full.checks.find((c) => c.check === 'makeCredential')!;
        expect(made.attestationVerified).toBe(true);
        expect(made.extensions).toEqual({ credProtect: 1, 'hmac-secret': true, minPinLength: 6 });

        key.replug(); // the reset window opens at power-up
        const reset = await runProcess('/usr/bin/python3', [
          SCRIPT,
          'reset',
          '--port',
          String(server.port),
        ]);
        expect(reset.code).toBe(0);
        expect(reset.checks).toEqual([{ check: 'reset', clientPin: false, minPinLength: 4 }]);
      });
    }
  },
);
