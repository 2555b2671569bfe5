import type { TableClient } from '@azure/data-tables';
import { CourierError } from '../../../core/courier-error.ts';
import { storageFailure, tableStatus } from '../../store/table-status.ts';

export type BotStateErrorCode = 'STORAGE' | 'CORRUPT_RECORD';

export class BotStateError extends CourierError<BotStateErrorCode> {}

/**
 * JSON documents in the bot's table, by partition and row. Each bot store (conversation
 * references, approval card messages, notification deliveries, refusals) is a partition scheme
 * over this, so the bot needs one table.
 */
export class BotState {
  readonly table: TableClient;

  constructor(table: TableClient) {
    this.table = table;
  }

  async get<T>(partition: string, row: string): Promise<T | undefined> {
    try {
      const entity = await this.table.getEntity<{ body?: unknown }>(partition, key(row));
      return parse<T>(entity.body);
    } catch (error) {
      if (error instanceof BotStateError) throw error;
      if (tableStatus(error) === 404) return undefined;
      throw new BotStateError('STORAGE', storageFailure(`read ${partition}`, error), {
        cause: error,
      });
    }
  }

  async put(partition: string, row: string, value: unknown): Promise<void> {
    try {
      await this.table.upsertEntity(
        { partitionKey: partition, rowKey: key(row), body: JSON.stringify(value) },
        'Replace',
      );
    } catch (error) {
      throw new BotStateError('STORAGE', storageFailure(`write ${partition}`, error), {
        cause: error,
      });
    }
  }

  /** Creates the row unless it exists; true when this call created it. */
  async create(partition: string, row: string, value: unknown): Promise<boolean> {
    try {
      await this.table.createEntity({
        partitionKey: partition,
        rowKey: key(row),
        body: JSON.stringify(value),
      });
      return true;
    } catch (error) {
      if (tableStatus(error) === 409) return false;
      throw new BotStateError('STORAGE', storageFailure(`write ${partition}`, error), {
        cause: error,
      });
    }
  }

  async list<T>(partition: string): Promise<T[]> {
    const found: T[] = [];
    try {
      for await (const entity of this.table.listEntities<{ body?: unknown }>({
        queryOptions: { filter: `PartitionKey eq '${partition.replace(/'/g, "''")}'` },
      })) {
        found.push(parse<T>(entity.body));
      }
    } catch (error) {
      if (error instanceof BotStateError) throw error;
      throw new BotStateError('STORAGE', storageFailure(`list ${partition}`, error), {
        cause: error,
      });
    }
    return found;
  }
}

// Row keys may not hold '/', '\', '#', '?'.
function key(row: string): string {
  return encodeURIComponent(row);
}

function parse<T>(body: unknown): T {
  try {
    return JSON.parse(String(body)) as T;
  } catch (cause) {
    throw new BotStateError('CORRUPT_RECORD', 'A stored bot record is not JSON.', { cause });
  }
}
