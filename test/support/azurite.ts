import { TableClient } from '@azure/data-tables';
import {
  startAzurite as startLocalAzurite,
  type Azurite,
} from '../../local/azurite/start-azurite.ts';

export interface AzuriteTables extends Azurite {
  /** A client for `tableName` (created if missing), trusting plain HTTP on loopback only. */
  table(tableName: string): Promise<TableClient>;
}

/**
 * Azurite's table service for a test file: in memory, plain HTTP on a free loopback port, in a
 * fresh temporary folder. One instance can serve a whole file; give each test its own table.
 */
export async function startAzurite(): Promise<AzuriteTables> {
  const azurite = await startLocalAzurite();
  return {
    ...azurite,
    async table(tableName) {
      const client = TableClient.fromConnectionString(azurite.connectionString, tableName, {
        allowInsecureConnection: true,
        retryOptions: { maxRetries: 0 },
      });
      await client.createTable();
      return client;
    },
  };
}
