import { describe, expect, it } from 'vitest';
import { GraphError } from '../../../core/graph/graph-error.ts';
import { verifyMds3Blob } from '../../../core/graph/mds3-blob.ts';
import { GLOBALSIGN_ROOT_CA_R3_PEM } from '../../../core/graph/fido-mds-root.ts';
import {
  CRL_NAMES,
  MetadataService,
  type CrlName,
} from '../../../local/tenant/mds/metadata-service.ts';
import { loadTenantSeed } from '../../../local/tenant/seed/load-tenant-seed.ts';
import { VIRTUAL_ATTESTATION_ROOT_PEM } from '../../../station/virtual-key/attestation-authority.ts';
import { VIRTUAL_KEY_AAGUID } from '../../../station/virtual-key/virtual-key.ts';
import { rejection } from '../../support/caught.ts';

const now = new Date();
const ORIGIN = 'https://localhost:1';

/** The CRLs of this service's chain, read in process instead of over its HTTPS origin. */
function crlsOf(metadata: MetadataService, at = now) {
  return async (url: string) => {
    const name = CRL_NAMES.find((n: CrlName) => metadata.crlUrls[n] === url);
    const crl = name && (await metadata.crl(name, at.getTime()));
    if (!crl) throw new Error(`no CRL at ${url}`);
    return crl;
  };
}

describe('an MDS3 metadata BLOB', () => {
  it('verifies against its root and lists the software key with its attestation root', async () => {
    const metadata = await MetadataService.create(await loadTenantSeed(), now, ORIGIN);
    const blob = await verifyMds3Blob(
      metadata.blobJwt(),
      [metadata.rootPem],
      now,
      crlsOf(metadata),
    );
    const entry = blob.entries.find((e) => e.aaguid === VIRTUAL_KEY_AAGUID)!;
    expect(entry.metadataStatement?.attestationTypes).toEqual(['basic_full']);
    const root = Buffer.from(entry.metadataStatement!.attestationRootCertificates[0]!, 'base64');
    expect(root.toString('base64')).toBe(
      VIRTUAL_ATTESTATION_ROOT_PEM.replace(/-----[A-Z ]+-----|\s/g, ''),
    );
    expect(Date.parse(blob.nextUpdate)).toBeGreaterThan(now.getTime());
  });

  it('is refused when signed under another root, tampered with, or no longer valid', async () => {
    const metadata = await MetadataService.create(await loadTenantSeed(), now, ORIGIN);
    const other = await MetadataService.create(await loadTenantSeed(), now, ORIGIN);
    const jwt = metadata.blobJwt();
    const foreign = await rejection(
      GraphError,
      verifyMds3Blob(jwt, [GLOBALSIGN_ROOT_CA_R3_PEM, other.rootPem], now, crlsOf(other)),
    );
    expect(foreign.message).toMatch(/does not lead to a trusted metadata root/);
    const [header, payload, signature] = jwt.split('.');
    const changed = Buffer.from(
      Buffer.from(payload!, 'base64url').toString('utf8').replace('"no":1', '"no":2'),
    ).toString('base64url');
    const tampered = await rejection(
      GraphError,
      verifyMds3Blob(
        `${header}.${changed}.${signature}`,
        [metadata.rootPem],
        now,
        crlsOf(metadata),
      ),
    );
    expect(tampered.message).toMatch(/signature does not verify/);
    const later = new Date(now.getTime() + 2 * 365 * 86_400_000);
    expect(
      (
        await rejection(
          GraphError,
          verifyMds3Blob(jwt, [metadata.rootPem], later, crlsOf(metadata, later)),
        )
      ).message,
    ).toMatch(/not valid now/);
  });

  it('is refused when its signer is revoked, naming the certificate, its serial, date and reason', async () => {
    const metadata = await MetadataService.create(await loadTenantSeed(), now, ORIGIN);
    expect(metadata.revocationState()).toEqual({ signerRevoked: false, crlsAvailable: true });
    const revokedAt = new Date(Math.floor(now.getTime() / 1000) * 1000 - 60_000); // CRL dates are in seconds
    metadata.revokeSigner(revokedAt, 'keyCompromise');
    const refused = await rejection(
      GraphError,
      verifyMds3Blob(metadata.blobJwt(), [metadata.rootPem], now, crlsOf(metadata)),
    );
    expect(refused.code).toBe('INVALID_RESPONSE');
    expect(refused.message).toBe(
      `FIDO metadata BLOB: x5c[0] (CN=Local FIDO Metadata BLOB Signer, O=Passkey Courier local tenant, serial 03) was revoked on ${revokedAt.toISOString()} (keyCompromise) by CN=Local FIDO Metadata CA, O=Passkey Courier local tenant.`,
    );
    expect(refused.cause).toMatchObject({ code: 'REVOKED' });
  });

  it('is refused when a CRL of its chain cannot be retrieved', async () => {
    const metadata = await MetadataService.create(await loadTenantSeed(), now, ORIGIN);
    metadata.setCrlsAvailable(false);
    const refused = await rejection(
      GraphError,
      verifyMds3Blob(metadata.blobJwt(), [metadata.rootPem], now, crlsOf(metadata)),
    );
    expect(refused.message).toMatch(
      /^FIDO metadata BLOB: the CRL of x5c\[0\] \(CN=Local FIDO Metadata BLOB Signer.*\) cannot be retrieved \(https:\/\/localhost:1\/mds3\/crl\/ca\.crl: no CRL at/,
    );
    expect(refused.cause).toMatchObject({ code: 'CRL_UNAVAILABLE' });
  });
});
