import { TableClient } from '@azure/data-tables';
import type { TokenCredential } from '@azure/identity';
import { z } from 'zod';
import { CourierError } from '../../core/courier-error.ts';

/** The tables the functions app keeps, by default names (each configurable). */
export const DEFAULT_TABLE_NAMES = {
  jobs: 'CourierJobs',
  audit: 'CourierAudit',
  pins: 'CourierPins',
} as const;

/** Where a table lives: a connection string (Azurite, keys), or an endpoint and an Entra credential. */
export type TableSettings = (
  | { tableName: string; connectionString: string }
  | { tableName: string; endpoint: string; credential: TokenCredential }
) & {
  /** The CA to trust instead of the public ones: the local CA Azurite's certificate is from. */
  caPem?: string;
};

export class TableSettingsError extends CourierError<'CONFIGURATION_INVALID'> {}

/** Azure's rule for table names. */
const tableNameSchema = z
  .string()
  .regex(
    /^[A-Za-z][A-Za-z0-9]{2,62}$/,
    'table names are 3-63 letters and digits, starting with a letter',
  );

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * A TableClient for one of the app's tables, creating the table when it is missing. Plain http
 * is allowed only to a loopback address (Azurite); anything else must be https. In Azure, use
 * the endpoint with the managed identity, which needs "Storage Table Data Contributor".
 */
export async function openTable(settings: TableSettings): Promise<TableClient> {
  const name = tableNameSchema.safeParse(settings.tableName);
  if (!name.success) {
    throw new TableSettingsError(
      'CONFIGURATION_INVALID',
      `Table name "${settings.tableName}": ${name.error.issues[0]?.message ?? 'invalid'}.`,
    );
  }
  // Verification stays on: the local CA is the one trusted, never a check removed. (Only that
  // CA, not it plus Node's public roots: Node's agent serialises its CA list into the socket
  // pool's key on every request, which with ~140 roots costs more than the request itself.)
  const tls = settings.caPem ? { tlsOptions: { ca: settings.caPem } } : {};
  let client: TableClient;
  if ('connectionString' in settings) {
    const endpoint = /(?:^|;)TableEndpoint=([^;]+)/i.exec(settings.connectionString)?.[1];
    // UseDevelopmentStorage=true means Azurite on 127.0.0.1:10002.
    const insecure =
      /(?:^|;)UseDevelopmentStorage=true/i.test(settings.connectionString) ||
      (endpoint !== undefined && isLoopbackHttp(endpoint));
    try {
      client = TableClient.fromConnectionString(settings.connectionString, name.data, {
        allowInsecureConnection: insecure,
        ...tls,
      });
    } catch (cause) {
      // The connection string holds an account key: never quote it.
      throw new TableSettingsError(
        'CONFIGURATION_INVALID',
        'The storage connection string is not valid.',
        { cause },
      );
    }
  } else {
    let url: URL;
    try {
      url = new URL(settings.endpoint);
    } catch (cause) {
      throw new TableSettingsError(
        'CONFIGURATION_INVALID',
        `The table endpoint ${settings.endpoint} is not a URL.`,
        { cause },
      );
    }
    if (url.protocol !== 'https:' && !isLoopbackHttp(settings.endpoint)) {
      throw new TableSettingsError(
        'CONFIGURATION_INVALID',
        `The table endpoint ${url.origin} must use https (plain http only to a loopback Azurite).`,
      );
    }
    client = new TableClient(settings.endpoint, name.data, settings.credential, {
      allowInsecureConnection: url.protocol === 'http:',
      ...tls,
    });
  }
  await client.createTable();
  return client;
}

function isLoopbackHttp(endpoint: string): boolean {
  try {
    const url = new URL(endpoint);
    return url.protocol === 'http:' && LOOPBACK.has(url.hostname);
  } catch {
    return false;
  }
}
