import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTable, TableSettingsError } from '../../../functions/store/open-table.ts';
import { startAzurite, type AzuriteTables } from '../../support/azurite.ts';

let azurite: AzuriteTables;
beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  await azurite.stop();
});

const credential = { getToken: () => Promise.resolve(null) };

describe('openTable', () => {
  it('opens (and creates, once) a table in a loopback Azurite over plain http', async () => {
    const settings = { tableName: 'CourierJobs', connectionString: azurite.connectionString };
    const table = await openTable(settings);
    await table.createEntity({ partitionKey: 'p', rowKey: 'r' });
    const again = await openTable(settings); // the table exists already: fine
    expect((await again.getEntity('p', 'r')).rowKey).toBe('r');
  });

  it('refuses bad table names and plain http anywhere but loopback', async () => {
    await expect(
      openTable({ tableName: 'courier-jobs', connectionString: azurite.connectionString }),
    ).rejects.toBeInstanceOf(TableSettingsError);
    await expect(
      openTable({ tableName: 'CourierJobs', endpoint: 'http://storage.example/', credential }),
    ).rejects.toThrow(/must use https/);
    const secret = 'AccountKey=c2VjcmV0LWtleQ==';
    const error = await openTable({
      tableName: 'CourierJobs',
      connectionString: `nonsense;${secret}`,
    }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(TableSettingsError);
    expect(error?.message).not.toContain('c2VjcmV0LWtleQ');
  });
});
