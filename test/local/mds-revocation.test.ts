import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FidoMetadata } from '../../core/graph/fido-metadata.ts';
import { GraphError } from '../../core/graph/graph-error.ts';
import { manualClock } from '../../local/tenant/clock.ts';
import { startLocalTenant, type LocalTenant } from '../../local/tenant/start-local-tenant.ts';
import { VIRTUAL_KEY_AAGUID } from '../../station/virtual-key/virtual-key.ts';
import { rejection } from '../support/caught.ts';
import { call } from './support/tenant-http.ts';

const START = Date.parse('2026-06-01T12:00:00Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const clock = manualClock(START);
let tenant: LocalTenant;

beforeAll(async () => {
  tenant = await startLocalTenant({
    tlsDirectory: mkdtempSync(join(tmpdir(), 'tenant-mds-tls-')),
    now: clock.now,
  });
});
afterAll(async () => {
  await tenant.close();
});
beforeEach(async () => {
  clock.set(START);
  expect((await call(tenant, 'POST', '/_courier/tenant/reset')).status).toBe(204);
});

/** The service's reader of the tenant's MDS, on the tenant's clock, over HTTPS with its CA. */
function reader(): FidoMetadata {
  return new FidoMetadata({
    url: tenant.metadata.url,
    rootsPem: [tenant.metadata.rootPem],
    caPem: tenant.caPem,
    now: clock.now,
  });
}

describe("the local tenant's MDS chain and its CRLs", () => {
  it('names a CRL distribution point on every certificate below the root, each serving a current DER CRL', async () => {
    const described = (await call(tenant, 'GET', '/')).json;
    expect(described.fidoMetadata.crls).toEqual([
      `${tenant.url}/mds3/crl/root.crl`,
      `${tenant.url}/mds3/crl/ca.crl`,
    ]);
    for (const url of described.fidoMetadata.crls as string[]) {
      const answer = await call(tenant, 'GET', url);
      expect(answer.status).toBe(200);
      expect(answer.headers['content-type']).toBe('application/pkix-crl');
    }
    const verdict = await reader().verdict(VIRTUAL_KEY_AAGUID);
    expect(verdict).toMatchObject({ listed: true });
  });

  it('refuses the BLOB once its signer is revoked, saying which certificate, serial, date and reason', async () => {
    clock.advance(5 * 60_000);
    const revoke = await call(tenant, 'POST', '/_courier/tenant/mds/revoke-signer', {
      json: { reason: 'keyCompromise' },
    });
    expect(revoke.status).toBe(204);
    expect((await call(tenant, 'GET', '/_courier/tenant/mds')).json).toEqual({
      signerRevoked: true,
      crlsAvailable: true,
    });
    const error = await rejection(GraphError, reader().blob());
    expect(error.code).toBe('INVALID_RESPONSE');
    expect(error.message).toBe(
      `FIDO metadata BLOB: x5c[0] (CN=Local FIDO Metadata BLOB Signer, O=Passkey Courier local tenant, serial 03) was revoked on ${new Date(clock.now()).toISOString()} (keyCompromise) by CN=Local FIDO Metadata CA, O=Passkey Courier local tenant.`,
    );
    expect(
      (await call(tenant, 'POST', '/_courier/tenant/mds/revoke-signer', { json: { reason: 'x' } }))
        .json.error.message,
    ).toMatch(/x is not a CRL reason; one of unspecified, keyCompromise/);
  });

  it('drops a cached BLOB whose signer turns out revoked when its CRL is next fetched', async () => {
    const metadata = reader();
    await metadata.blob();
    tenant.controls.revokeMetadataSigner();
    // Within a day the BLOB is served from the cache; past the CRL's week it is fetched anew.
    clock.advance(2 * HOUR);
    expect((await metadata.verdict(VIRTUAL_KEY_AAGUID)).listed).toBe(true);
    clock.advance(8 * DAY);
    expect((await rejection(GraphError, metadata.blob())).message).toMatch(/was revoked on/);
    expect((await rejection(GraphError, metadata.blob())).message).toMatch(/was revoked on/);
  });

  it('refuses the BLOB when a CRL cannot be retrieved, yet keeps serving a BLOB verified before', async () => {
    const cached = reader();
    const first = await cached.blob();
    expect(
      (
        await call(tenant, 'PUT', '/_courier/tenant/mds/crl', {
          json: { available: false },
        })
      ).status,
    ).toBe(204);
    expect((await call(tenant, 'GET', `${tenant.metadata.url}/crl/ca.crl`)).status).toBe(503);
    expect(
      (await call(tenant, 'PUT', '/_courier/tenant/mds/crl', { json: { available: 'no' } })).json
        .error.message,
    ).toBe('Body {available: boolean}.');
    const error = await rejection(GraphError, reader().blob());
    expect(error.code).toBe('INVALID_RESPONSE');
    expect(error.message).toMatch(
      /^FIDO metadata BLOB: the CRL of x5c\[0\] \(CN=Local FIDO Metadata BLOB Signer.*serial 03\) cannot be retrieved \(https:\/\/localhost:\d+\/mds3\/crl\/ca\.crl: The CRL at .* answered 503\.\)\.$/,
    );
    // Past the BLOB's day and the CRLs' week, the refresh fails: the last good BLOB stays.
    clock.advance(8 * DAY);
    expect(await cached.blob()).toBe(first);
    expect((await cached.verdict(VIRTUAL_KEY_AAGUID)).listed).toBe(true);
  });

  it('refuses a CRL past its nextUpdate: a reader whose clock is a week ahead of the CA', async () => {
    const ahead = new FidoMetadata({
      url: tenant.metadata.url,
      rootsPem: [tenant.metadata.rootPem],
      caPem: tenant.caPem,
      now: () => clock.now() + 8 * DAY,
    });
    expect((await rejection(GraphError, ahead.blob())).message).toMatch(
      /the CRL of x5c\[0\] .* cannot be relied on .*out of date \(nextUpdate /,
    );
  });
});
