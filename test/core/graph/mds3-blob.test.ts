import { describe, expect, it } from 'vitest';
import { GraphError } from '../../../core/graph/graph-error.ts';
import { verifyMds3Blob } from '../../../core/graph/mds3-blob.ts';
import { GLOBALSIGN_ROOT_CA_R3_PEM } from '../../../core/graph/fido-mds-root.ts';
import { MetadataService } from '../../../local/tenant/mds/metadata-service.ts';
import { loadTenantSeed } from '../../../local/tenant/seed/load-tenant-seed.ts';
import { VIRTUAL_ATTESTATION_ROOT_PEM } from '../../../station/virtual-key/attestation-authority.ts';
import { VIRTUAL_KEY_AAGUID } from '../../../station/virtual-key/virtual-key.ts';
import { rejection } from '../../support/caught.ts';

const now = new Date();

describe('an MDS3 metadata BLOB', () => {
  it('verifies against its root and lists the software key with its attestation root', async () => {
    const metadata = await MetadataService.create(await loadTenantSeed(), now);
    const blob = await verifyMds3Blob(metadata.blobJwt(), [metadata.rootPem], now);
    const entry = blob.entries.find((e) => e.aaguid === VIRTUAL_KEY_AAGUID)!;
    expect(entry.metadataStatement?.attestationTypes).toEqual(['basic_full']);
    const root = Buffer.from(entry.metadataStatement!.attestationRootCertificates[0]!, 'base64');
    expect(root.toString('base64')).toBe(
      VIRTUAL_ATTESTATION_ROOT_PEM.replace(/-----[A-Z ]+-----|\s/g, ''),
    );
    expect(Date.parse(blob.nextUpdate)).toBeGreaterThan(now.getTime());
  });

  it('is refused when signed under another root, tampered with, or no longer valid', async () => {
    const metadata = await MetadataService.create(await loadTenantSeed(), now);
    const other = await MetadataService.create(await loadTenantSeed(), now);
    const jwt = metadata.blobJwt();
    const foreign = await rejection(
      GraphError,
      verifyMds3Blob(jwt, [GLOBALSIGN_ROOT_CA_R3_PEM, other.rootPem], now),
    );
    expect(foreign.message).toMatch(/does not lead to a trusted metadata root/);
    const [header, payload, signature] = jwt.split('.');
    const changed = Buffer.from(
      Buffer.from(payload!, 'base64url').toString('utf8').replace('"no":1', '"no":2'),
    ).toString('base64url');
    const tampered = await rejection(
      GraphError,
      verifyMds3Blob(`${header}.${changed}.${signature}`, [metadata.rootPem], now),
    );
    expect(tampered.message).toMatch(/signature does not verify/);
    const later = new Date(now.getTime() + 2 * 365 * 86_400_000);
    expect(
      (await rejection(GraphError, verifyMds3Blob(jwt, [metadata.rootPem], later))).message,
    ).toMatch(/not valid now/);
  });
});
