import { odata, type TableClient } from '@azure/data-tables';
import { z } from 'zod';
import {
  LOG_PARTITION,
  auditColumns,
  auditRecordFromColumns,
  credentialPartition,
  logRowKey,
  newestFirstKey,
  requestPartition,
  serialPartition,
} from './audit-entity.ts';
import {
  auditEntrySchema,
  normaliseCredentialId,
  type AuditEntry,
  type AuditRecord,
} from './audit-record.ts';
import { AuditTrailError } from './audit-trail-error.ts';
import { tableKeySchema } from './table-key.ts';
import { storageFailure, tableStatus } from './table-status.ts';

export interface AuditTrailOptions {
  /** Milliseconds since the epoch, for `recordedAt`. */
  now?: () => number;
}

/** Where a key serial or credential id was seen: the request, and the first record naming it. */
export interface AuditIndexHit {
  requestId: string;
  recordId: string;
  at: string;
}

export interface AuditPage {
  records: AuditRecord[];
  /** Pass back (with the same since/until) for the next page; absent on the last page. */
  continuationToken?: string;
}

const listSchema = z.strictObject({
  pageSize: z.number().int().min(1).max(1000).optional(),
  continuationToken: z.string().min(1).max(4096).optional(),
  /** Only records that happened at or after this time. */
  since: z.iso.datetime().optional(),
  /** Only records that happened before this time. */
  until: z.iso.datetime().optional(),
});
export type AuditListOptions = z.input<typeof listSchema>;

/**
 * The append-only audit trail (docs/design.md §2.1): one record per transition of a request. Records are
 * only ever created (never upserted, updated or deleted through this class); appending the same
 * record id again is recognised and changes nothing. Besides the records of each request it keeps
 * a newest-first log for IT's paged listing and index rows to find a request by key serial or
 * credential id. Appends that fail half-way are completed by the retry: every row is written with
 * create-if-absent, keyed by the first stored copy of the record.
 */
export class AuditTrail {
  private readonly table: TableClient;
  private readonly now: () => number;

  constructor(table: TableClient, options: AuditTrailOptions = {}) {
    this.table = table;
    this.now = options.now ?? Date.now;
  }

  /** Appends a record, or returns the stored one when this record id was appended before. */
  async append(entry: AuditEntry): Promise<AuditRecord> {
    const checked = auditEntrySchema.safeParse(entry);
    if (!checked.success) {
      throw new AuditTrailError(
        'INVALID_INPUT',
        `Invalid audit record: ${checked.error.issues.map((i) => `${i.path.join('.') || 'record'}: ${i.message}`).join('; ')}`,
      );
    }
    const fresh: AuditRecord = {
      ...(checked.data as AuditEntry),
      recordedAt: new Date(this.now()).toISOString(),
    };
    const record = await this.createOnce(fresh);
    await Promise.all(this.secondaryRows(record).map((row) => this.createIfAbsent(row)));
    return record;
  }

  /** A request's records in the order they happened. */
  async listByRequest(requestId: string): Promise<AuditRecord[]> {
    const id = this.key(requestId, 'requestId');
    const records: AuditRecord[] = [];
    await this.scan(odata`PartitionKey eq ${requestPartition(id)}`, (entity) => {
      records.push(auditRecordFromColumns(entity));
    });
    return records.sort(
      (a, b) =>
        Date.parse(a.at) - Date.parse(b.at) ||
        Date.parse(a.recordedAt) - Date.parse(b.recordedAt) ||
        (a.recordId < b.recordId ? -1 : a.recordId > b.recordId ? 1 : 0),
    );
  }

  /** The requests whose records name this key serial, first seen first. */
  async findBySerial(serial: number): Promise<AuditIndexHit[]> {
    const checked = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).safeParse(serial);
    if (!checked.success)
      throw new AuditTrailError('INVALID_INPUT', 'A key serial is a non-negative integer.');
    return this.hits(serialPartition(checked.data));
  }

  /** The requests whose records name this credential id (base64url; base64 is accepted too). */
  async findByCredentialId(credentialId: string): Promise<AuditIndexHit[]> {
    if (!/^[A-Za-z0-9_+/=-]{16,1400}$/.test(credentialId))
      throw new AuditTrailError('INVALID_INPUT', 'A credential id is base64url text.');
    return this.hits(credentialPartition(normaliseCredentialId(credentialId)));
  }

  /** Every record, newest first, a page at a time. */
  async list(options: AuditListOptions = {}): Promise<AuditPage> {
    const checked = listSchema.safeParse(options);
    if (!checked.success)
      throw new AuditTrailError(
        'INVALID_INPUT',
        `Invalid listing options: ${checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    const { pageSize = 50, continuationToken, since, until } = checked.data;
    // Row keys begin with the inverted time and "|": "}" sorts just after "|", so these bounds
    // take whole milliseconds in or out.
    let filter = odata`PartitionKey eq ${LOG_PARTITION}`;
    if (since !== undefined) filter += ` and ${odata`RowKey lt ${`${newestFirstKey(since)}}`}`}`;
    if (until !== undefined) filter += ` and ${odata`RowKey gt ${`${newestFirstKey(until)}}`}`}`;
    try {
      const pages = this.table
        .listEntities<Record<string, unknown>>({ queryOptions: { filter } })
        .byPage({ maxPageSize: pageSize, ...(continuationToken ? { continuationToken } : {}) });
      const page = await pages.next();
      if (page.done) return { records: [] };
      const records = page.value.map((entity) => auditRecordFromColumns(entity));
      const next = page.value.continuationToken;
      return next ? { records, continuationToken: next } : { records };
    } catch (error) {
      if (error instanceof AuditTrailError) throw error;
      if (continuationToken !== undefined && tableStatus(error) === undefined) {
        throw new AuditTrailError(
          'INVALID_INPUT',
          'The continuation token is not one this listing gave out.',
          { cause: error },
        );
      }
      throw storageError(error, 'list the audit trail');
    }
  }

  /** Creates the request's record, or finds the earlier copy of a repeated append. */
  private async createOnce(record: AuditRecord): Promise<AuditRecord> {
    const partitionKey = requestPartition(record.requestId);
    try {
      await this.table.createEntity({
        partitionKey,
        rowKey: record.recordId,
        ...auditColumns(record),
      });
      return record;
    } catch (error) {
      if (tableStatus(error) !== 409) throw storageError(error, 'append an audit record');
    }
    let existing: AuditRecord;
    try {
      existing = auditRecordFromColumns(
        await this.table.getEntity<Record<string, unknown>>(partitionKey, record.recordId),
      );
    } catch (error) {
      if (error instanceof AuditTrailError) throw error;
      throw storageError(error, 'read an audit record');
    }
    if (sameTransition(existing, record)) return existing;
    throw new AuditTrailError(
      'CONFLICT',
      `Audit record ${record.recordId} of request ${record.requestId} already exists with other content; records are never rewritten.`,
    );
  }

  private secondaryRows(record: AuditRecord): Record<string, string | number>[] {
    const rows: Record<string, string | number>[] = [
      { partitionKey: LOG_PARTITION, rowKey: logRowKey(record), ...auditColumns(record) },
    ];
    const hit = { requestId: record.requestId, recordId: record.recordId, at: record.at };
    if (record.keySerial !== undefined) {
      rows.push({
        partitionKey: serialPartition(record.keySerial),
        rowKey: record.requestId,
        ...hit,
      });
    }
    if (record.credentialId !== undefined) {
      rows.push({
        partitionKey: credentialPartition(record.credentialId),
        rowKey: record.requestId,
        ...hit,
        credentialId: record.credentialId,
      });
    }
    return rows;
  }

  private async createIfAbsent(row: Record<string, string | number>): Promise<void> {
    try {
      await this.table.createEntity(row as { partitionKey: string; rowKey: string });
    } catch (error) {
      if (tableStatus(error) !== 409) throw storageError(error, 'index an audit record');
    }
  }

  private async hits(partitionKey: string): Promise<AuditIndexHit[]> {
    const hits: AuditIndexHit[] = [];
    await this.scan(odata`PartitionKey eq ${partitionKey}`, (entity) => {
      const { requestId, recordId, at } = entity;
      if (typeof requestId === 'string' && typeof recordId === 'string' && typeof at === 'string')
        hits.push({ requestId, recordId, at });
    });
    return hits.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  }

  private async scan(
    filter: string,
    each: (entity: Record<string, unknown>) => void,
  ): Promise<void> {
    try {
      for await (const entity of this.table.listEntities<Record<string, unknown>>({
        queryOptions: { filter },
      })) {
        each(entity);
      }
    } catch (error) {
      if (error instanceof AuditTrailError) throw error;
      throw storageError(error, 'read the audit trail');
    }
  }

  private key(value: string, what: string): string {
    const checked = tableKeySchema.safeParse(value);
    if (!checked.success)
      throw new AuditTrailError(
        'INVALID_INPUT',
        `Invalid ${what}: ${checked.error.issues[0]?.message ?? 'not an id'}`,
      );
    return checked.data;
  }
}

/** Two copies of a record describe the same transition: everything but the times agrees. */
function sameTransition(a: AuditRecord, b: AuditRecord): boolean {
  const strip = ({ at: _at, recordedAt: _recordedAt, ...rest }: AuditRecord) =>
    JSON.stringify(auditColumns({ ...rest, at: '', recordedAt: '' }));
  return strip(a) === strip(b);
}

function storageError(cause: unknown, action: string): AuditTrailError {
  return new AuditTrailError('STORAGE', storageFailure(action, cause), { cause });
}
