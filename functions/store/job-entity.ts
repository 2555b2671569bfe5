import { JobQueueError } from './job-queue-error.ts';
import { jobRecordSchema, type JobRecord } from './job-record.ts';

/** All jobs share one partition: the queue is small, and one partition keeps listing simple. */
export const JOB_PARTITION = 'job';

/**
 * Azure Tables limits a string property to 64 KiB, i.e. 32,768 UTF-16 units, and an entity to
 * 1 MiB. Graph's creation options (a few KB, more with many excludeCredentials) are stored as
 * JSON split over up to MAX_OPTION_CHUNKS columns of at most OPTION_CHUNK_UNITS units each:
 * 12 × 32,000 × 2 bytes stays well under 1 MiB with the rest of the job.
 */
export const OPTION_CHUNK_UNITS = 32_000;
export const MAX_OPTION_CHUNKS = 12;

/** Members a job may lack, each stored as a column of its own when present. */
const OPTIONAL_COLUMNS = [
  'methodId',
  'credentialId',
  'aaguid',
  'serial',
  'carrier',
  'trackingNumber',
  'closeReason',
  'registeredAt',
  'pinChangeConfirmedAt',
  'shippedAt',
  'closedAt',
] as const;

export type JobEntity = Record<string, string | number | boolean> & {
  partitionKey: string;
  rowKey: string;
};

/** Flattens a job into table columns; `leaseExpiresAt` and `state` are columns so queries can filter. */
export function jobToEntity(record: JobRecord): JobEntity {
  const entity: JobEntity = {
    partitionKey: JOB_PARTITION,
    rowKey: record.jobId,
    schemaVersion: 1,
    requestId: record.requestId,
    instanceId: record.instanceId,
    keyClass: JSON.stringify(record.keyClass),
    recipient: JSON.stringify(record.recipient),
    approvedAt: record.approvedAt,
    state: record.state,
    attempts: record.attempts,
    enqueuedAt: record.enqueuedAt,
    updatedAt: record.updatedAt,
  };
  if (record.lease) {
    entity.leaseStationId = record.lease.stationId;
    entity.leaseId = record.lease.leaseId;
    entity.leaseExpiresAt = record.lease.expiresAt;
    if (record.lease.holder) entity.leaseHolder = record.lease.holder;
  }
  if (record.endedLease) entity.endedLease = JSON.stringify(record.endedLease);
  for (const name of OPTIONAL_COLUMNS) {
    const value = record[name];
    // Serials are stored as decimal text: a JSON number beyond 32 bits has no reliable table type.
    if (value !== undefined) entity[name] = typeof value === 'number' ? String(value) : value;
  }
  if (record.prefetchedOptions) {
    const chunks = splitJson(JSON.stringify(record.prefetchedOptions.options));
    chunks.forEach((chunk, index) => (entity[`options${index}`] = chunk));
    entity.optionsChunks = chunks.length;
    entity.optionsExpiresAt = record.prefetchedOptions.expiresAt;
  }
  return entity;
}

/** Rebuilds and validates a job from its stored columns. */
export function jobFromEntity(entity: Record<string, unknown>): JobRecord {
  const text = (name: string) => (typeof entity[name] === 'string' ? entity[name] : undefined);
  try {
    const candidate: Record<string, unknown> = {
      jobId: entity.rowKey,
      requestId: entity.requestId,
      instanceId: entity.instanceId,
      keyClass: JSON.parse(String(entity.keyClass)),
      recipient: JSON.parse(String(entity.recipient)),
      approvedAt: entity.approvedAt,
      state: entity.state,
      attempts: entity.attempts,
      enqueuedAt: entity.enqueuedAt,
      updatedAt: entity.updatedAt,
    };
    if (text('leaseId') !== undefined) {
      candidate.lease = {
        stationId: entity.leaseStationId,
        leaseId: entity.leaseId,
        expiresAt: entity.leaseExpiresAt,
        ...(text('leaseHolder') === undefined ? {} : { holder: entity.leaseHolder }),
      };
    }
    if (text('endedLease') !== undefined) candidate.endedLease = JSON.parse(text('endedLease')!);
    for (const name of OPTIONAL_COLUMNS) {
      const value = entity[name];
      if (value === undefined || value === null) continue;
      candidate[name] = name === 'serial' && typeof value === 'string' ? Number(value) : value;
    }
    if (typeof entity.optionsChunks === 'number') {
      let json = '';
      for (let index = 0; index < entity.optionsChunks; index += 1) {
        const chunk = text(`options${index}`);
        if (chunk === undefined) throw new Error(`options chunk ${index} is missing`);
        json += chunk;
      }
      candidate.prefetchedOptions = {
        options: JSON.parse(json) as unknown,
        expiresAt: entity.optionsExpiresAt,
      };
    }
    const parsed = jobRecordSchema.safeParse(candidate);
    if (!parsed.success) throw new Error(parsed.error.issues.map((i) => i.message).join('; '));
    return parsed.data;
  } catch (cause) {
    throw new JobQueueError(
      'CORRUPT_RECORD',
      `Stored job ${String(entity.rowKey)} cannot be read (${(cause as Error).message}).`,
      { cause },
    );
  }
}

/**
 * Splits JSON into column-sized chunks. The JSON is first made ASCII-only (every non-ASCII UTF-16
 * unit written as a \uXXXX escape, which JSON.parse reverses): a chunk boundary can then never
 * cut a surrogate pair or a multi-byte character in half, and Azurite 3.35, which decodes request
 * bodies 64 KiB at a time and mangles a character straddling two pieces, stores it intact too.
 */
export function splitJson(json: string): string[] {
  const ascii = json.replace(
    /[\u0080-\uffff]/g,
    (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  const chunks: string[] = [];
  for (let start = 0; start < ascii.length; start += OPTION_CHUNK_UNITS) {
    chunks.push(ascii.slice(start, start + OPTION_CHUNK_UNITS));
  }
  if (chunks.length > MAX_OPTION_CHUNKS) {
    throw new JobQueueError(
      'OPTIONS_TOO_LARGE',
      `The creation options are ${ascii.length} characters of JSON; at most ${OPTION_CHUNK_UNITS * MAX_OPTION_CHUNKS} can be stored with a job. Use just-in-time options (v1.0) for this user.`,
    );
  }
  return chunks;
}
