import { createHash } from 'node:crypto';
import { z } from 'zod';
import { AuditTrailError } from './audit-trail-error.ts';
import { auditEntrySchema, type AuditRecord } from './audit-record.ts';

/**
 * How the audit trail lies in its table. One table, four kinds of partition:
 * - `request|{requestId}`: the records of one request, RowKey = record id (so a repeated append
 *   collides and is recognised);
 * - `log`: a copy of every record, RowKey = newest-first time key, for IT's paged listing;
 * - `serial|{serial}` and `credential|{sha256(credentialId)}`: index rows, RowKey = request id,
 *   to find a request by its key. Credential ids are hashed because they can be longer than a
 *   PartitionKey may be.
 */
export const LOG_PARTITION = 'log';

export function requestPartition(requestId: string): string {
  return `request|${requestId}`;
}

export function serialPartition(serial: number): string {
  return `serial|${serial}`;
}

export function credentialPartition(credentialId: string): string {
  return `credential|${createHash('sha256').update(credentialId).digest('base64url')}`;
}

/** Milliseconds inverted and zero-padded, so that text order is newest first. */
export function newestFirstKey(iso: string): string {
  return String(9_999_999_999_999 - Date.parse(iso)).padStart(13, '0');
}

/** The log RowKey: newest `at` first, then newest `recordedAt`, then the record id. */
export function logRowKey(record: AuditRecord): string {
  return `${newestFirstKey(record.at)}|${newestFirstKey(record.recordedAt)}|${record.recordId}`;
}

type Columns = Record<string, string | number>;

const FLAT: readonly (keyof AuditRecord)[] = [
  'recordId',
  'requestId',
  'at',
  'recordedAt',
  'from',
  'to',
  'event',
  'jobId',
  'stationId',
  'aaguid',
  'credentialId',
  'graphMethodId',
  'graphRequestId',
  'carrier',
  'trackingNumber',
  'reason',
  'detail',
];

/** A record's columns (without keys): nested people flattened, the serial as decimal text. */
export function auditColumns(record: AuditRecord): Columns {
  const columns: Columns = { schemaVersion: 1 };
  for (const name of FLAT) {
    const value = record[name];
    if (typeof value === 'string') columns[name] = value;
  }
  columns.actorKind = record.actor.kind;
  columns.actorId = record.actor.id;
  if (record.actor.displayName) columns.actorName = record.actor.displayName;
  if (record.approver) {
    columns.approverId = record.approver.id;
    if (record.approver.displayName) columns.approverName = record.approver.displayName;
  }
  if (record.operator) {
    columns.operatorId = record.operator.id;
    if (record.operator.displayName) columns.operatorName = record.operator.displayName;
  }
  if (record.keySerial !== undefined) columns.keySerial = String(record.keySerial);
  return columns;
}

const storedSchema = auditEntrySchema.extend({ recordedAt: z.iso.datetime() });

/** Rebuilds and validates a record from its columns. */
export function auditRecordFromColumns(entity: Record<string, unknown>): AuditRecord {
  const text = (name: string) => (typeof entity[name] === 'string' ? entity[name] : undefined);
  const candidate: Record<string, unknown> = {};
  for (const name of FLAT) {
    if (text(name) !== undefined) candidate[name] = text(name);
  }
  candidate.actor = {
    kind: text('actorKind'),
    id: text('actorId'),
    ...(text('actorName') ? { displayName: text('actorName') } : {}),
  };
  for (const role of ['approver', 'operator'] as const) {
    if (text(`${role}Id`)) {
      candidate[role] = {
        id: text(`${role}Id`),
        ...(text(`${role}Name`) ? { displayName: text(`${role}Name`) } : {}),
      };
    }
  }
  if (text('keySerial') !== undefined) candidate.keySerial = Number(text('keySerial'));
  const parsed = storedSchema.safeParse(candidate);
  if (!parsed.success) {
    throw new AuditTrailError(
      'CORRUPT_RECORD',
      `Stored audit record ${String(entity.rowKey)} cannot be read (${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}).`,
    );
  }
  return parsed.data;
}
