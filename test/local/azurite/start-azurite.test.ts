import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTable } from '../../../functions/store/open-table.ts';
import { startAzurite as startLocalAzurite } from '../../../local/azurite/start-azurite.ts';
import { ensureLocalTls } from '../../../local/tls/ensure-local-tls.ts';
import { startAzurite, type AzuriteTables } from '../../support/azurite.ts';

function answers(endpoint: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(`${endpoint}/Tables`, { timeout: 1000 }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('error', () => resolve(false));
    req.end();
  });
}

describe('the Azurite test harness', () => {
  let azurite: AzuriteTables;
  /** Whether the table service answered at the moment startAzurite resolved. */
  let answeredOnReturn = false;

  beforeAll(async () => {
    azurite = await startAzurite();
    answeredOnReturn = await answers(azurite.endpoint);
  });
  afterAll(async () => {
    await azurite.stop();
  });

  // How fast it starts is measured by the benchmarks, not asserted here.
  it('starts the table service on loopback, ready when start resolves', () => {
    expect(answeredOnReturn).toBe(true);
    expect(azurite.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1$/);
    expect(azurite.connectionString).toContain(`TableEndpoint=${azurite.endpoint};`);
  });

  it('stores and reads entities, with ETags that change on every write', async () => {
    const table = await azurite.table('harness');
    await table.createEntity({ partitionKey: 'p', rowKey: 'r', value: 1 });
    const first = await table.getEntity<{ value: number }>('p', 'r');
    await table.updateEntity({ partitionKey: 'p', rowKey: 'r', value: 2 }, 'Replace', {
      etag: first.etag,
    });
    const second = await table.getEntity<{ value: number }>('p', 'r');
    expect(second.value).toBe(2);
    expect(second.etag).not.toBe(first.etag);
    // A write under the old ETag is refused: the optimistic concurrency the stores rely on.
    await expect(
      table.updateEntity({ partitionKey: 'p', rowKey: 'r', value: 3 }, 'Replace', {
        etag: first.etag,
      }),
    ).rejects.toMatchObject({ statusCode: 412 });
  });

  it('keeps instances apart, and stop() ends the process and removes its folder', async () => {
    const other = await startAzurite();
    expect(other.endpoint).not.toBe(azurite.endpoint);
    const table = await other.table('harness');
    await expect(table.getEntity('p', 'r')).rejects.toMatchObject({ statusCode: 404 });
    expect(existsSync(other.location)).toBe(true);
    await other.stop();
    expect(await answers(other.endpoint)).toBe(false);
    expect(existsSync(other.location)).toBe(false);
    expect(await answers(azurite.endpoint)).toBe(true);
  });
});

describe('Azurite over HTTPS from the local CA', () => {
  it('serves tables that a client trusting only the local CA can use', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'azurite-tls-'));
    const tls = await ensureLocalTls({ directory });
    const azurite = await startLocalAzurite({
      https: { certFile: tls.certificateFile, keyFile: tls.privateKeyFile, caPem: tls.caPem },
    });
    try {
      expect(azurite.endpoint).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/devstoreaccount1$/);
      const table = await openTable({
        tableName: 'TlsCheck',
        connectionString: azurite.connectionString,
        caPem: tls.caPem,
      });
      await table.createEntity({ partitionKey: 'p', rowKey: 'r', value: 7 });
      expect((await table.getEntity<{ value: number }>('p', 'r')).value).toBe(7);
      // Verification stays on: a client that does not trust the local CA is refused.
      const untrusting = await openTable({
        tableName: 'TlsCheck',
        connectionString: azurite.connectionString,
      }).then(
        () => 'connected',
        (error: unknown) => String((error as { code?: string }).code ?? error),
      );
      expect(untrusting).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY|CERT/);
    } finally {
      await azurite.stop();
      await rm(directory, { recursive: true, force: true });
    }
  });
});
