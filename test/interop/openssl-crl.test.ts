import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MetadataService } from '../../local/tenant/mds/metadata-service.ts';
import { loadTenantSeed } from '../../local/tenant/seed/load-tenant-seed.ts';
import { missingRequirement, OPENSSL, strictRequirements } from '../support/system-requirement.ts';

const missing = missingRequirement(OPENSSL);

/** DER to PEM, the form `openssl verify` takes CRLs in. */
function pem(label: string, der: Buffer): string {
  const lines = der
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n');
  return `-----BEGIN ${label}-----\n${lines}\n-----END ${label}-----\n`;
}

/**
 * OpenSSL, not our own code, checks the local tenant's MDS chain against its CRLs: every
 * certificate, root included (-crl_check_all), the CA's CRL with its issuing distribution point.
 * The local metadata must be what a standard validator accepts, and refuses once revoked.
 */
describe.skipIf(missing !== undefined && !strictRequirements)(
  "OpenSSL on the local MDS chain's CRLs",
  () => {
    it('verifies the BLOB signer with CRLs for the whole chain, and reports it revoked once it is', async () => {
      if (missing) throw new Error(missing);
      const now = Date.now();
      const metadata = await MetadataService.create(
        await loadTenantSeed(),
        new Date(now),
        'https://localhost:8443',
      );
      const work = mkdtempSync(join(tmpdir(), 'courier-openssl-crl-'));
      const header = JSON.parse(
        Buffer.from(metadata.blobJwt().split('.')[0]!, 'base64url').toString('utf8'),
      ) as { x5c: string[] };
      const [signer, ca] = header.x5c.map((b64) => new X509Certificate(Buffer.from(b64, 'base64')));
      writeFileSync(join(work, 'root.pem'), metadata.rootPem);
      writeFileSync(join(work, 'ca.pem'), ca!.toString());
      writeFileSync(join(work, 'signer.pem'), signer!.toString());
      const verify = async () => {
        const crls = [await metadata.crl('ca', now), await metadata.crl('root', now)];
        writeFileSync(join(work, 'crls.pem'), crls.map((c) => pem('X509 CRL', c!)).join(''));
        const run = spawnSync(
          'openssl',
          [
            'verify',
            '-crl_check_all',
            '-CRLfile',
            'crls.pem',
            '-CAfile',
            'root.pem',
            '-untrusted',
            'ca.pem',
            'signer.pem',
          ],
          { cwd: work, encoding: 'utf8', timeout: 20_000 },
        );
        return { status: run.status, output: `${run.stdout}${run.stderr}` };
      };
      expect(await verify()).toEqual({ status: 0, output: 'signer.pem: OK\n' });
      metadata.revokeSigner(new Date(now), 'keyCompromise');
      const revoked = await verify();
      expect(revoked.status).not.toBe(0);
      expect(revoked.output).toMatch(/error 23 at 0 depth lookup: certificate revoked/);
    });
  },
);
