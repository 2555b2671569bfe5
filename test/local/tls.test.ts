import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureLocalTls } from '../../local/tls/ensure-local-tls.ts';
import { LocalTenantError } from '../../local/tenant/local-tenant-error.ts';
import { startLocalTenant } from '../../local/tenant/start-local-tenant.ts';

const mode = (path: string) => statSync(path).mode & 0o777;

function get(url: string, ca?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the local CA and server certificate', () => {
  it('are created once, with private keys readable by their owner only, then reused', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'tenant-tls-'));
    const first = await ensureLocalTls({ directory });
    expect(first.outcome).toBe('created');
    expect(first.caFile).toBe(join(directory, 'ca.pem'));
    expect(mode(join(directory, 'ca.key.pem'))).toBe(0o600);
    expect(mode(join(directory, 'server.key.pem'))).toBe(0o600);
    expect(readFileSync(first.caFile, 'utf8')).toBe(first.caPem);
    const ca = new X509Certificate(first.caPem);
    const server = new X509Certificate(first.certificatePem);
    expect(ca.ca).toBe(true);
    expect(server.ca).toBe(false);
    expect(server.checkIssued(ca) && server.verify(ca.publicKey)).toBe(true);
    expect(server.subjectAltName).toBe(
      'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1',
    );

    const second = await ensureLocalTls({ directory });
    expect(second.outcome).toBe('reused');
    expect(second.caPem).toBe(first.caPem);
    expect(second.certificatePem).toBe(first.certificatePem);

    // A missing server certificate is re-issued from the same CA: clients keep trusting it.
    rmSync(join(directory, 'server.pem'));
    const third = await ensureLocalTls({ directory });
    expect(third.outcome).toBe('renewed');
    expect(third.caPem).toBe(first.caPem);
    expect(third.certificatePem).not.toBe(first.certificatePem);

    // One expiring within 30 days is re-issued too.
    const later = await ensureLocalTls({
      directory,
      now: () => Date.now() + 380 * 24 * 3600 * 1000,
    });
    expect(later.outcome).toBe('renewed');
  });

  it('refuse a CA whose key does not match, rather than replacing a CA clients trust', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'tenant-tls-'));
    await ensureLocalTls({ directory });
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeFileSync(
      join(directory, 'ca.key.pem'),
      privateKey.export({ format: 'pem', type: 'pkcs8' }),
    );
    await expect(ensureLocalTls({ directory })).rejects.toMatchObject({
      code: 'TLS_STATE_INVALID',
      message: expect.stringMatching(/ca\.key\.pem does not match ca\.pem/) as unknown,
    });
    await expect(ensureLocalTls({ directory })).rejects.toBeInstanceOf(LocalTenantError);
  });

  it('serve the tenant over HTTPS that verifies with the CA and fails without it, on loopback only', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'tenant-tls-'));
    const tenant = await startLocalTenant({ tlsDirectory: directory });
    try {
      expect(tenant.url).toMatch(/^https:\/\/localhost:\d+$/);
      expect(tenant.caFile).toBe(join(directory, 'ca.pem'));
      expect(tenant.addresses.length).toBeGreaterThan(0);
      for (const address of tenant.addresses) expect(['127.0.0.1', '::1']).toContain(address);
      expect(await get(`${tenant.url}/`, tenant.caPem)).toBe(200);
      expect(await get(`https://127.0.0.1:${tenant.port}/`, tenant.caPem)).toBe(200);
      await expect(get(`${tenant.url}/`)).rejects.toMatchObject({
        code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      });
    } finally {
      await tenant.close();
    }
  });
});
