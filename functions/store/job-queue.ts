import { randomUUID } from 'node:crypto';
import { odata, type TableClient } from '@azure/data-tables';
import { z } from 'zod';
import { shipmentSchema, stationIdSchema } from '../../core/station-api/station-api-schemas.ts';
import { JOB_PARTITION, jobFromEntity, jobToEntity } from './job-entity.ts';
import { JobQueueError } from './job-queue-error.ts';
import {
  JOB_STATES,
  newJobSchema,
  prefetchedOptionsSchema,
  type JobLease,
  type JobRecord,
  type JobState,
  type NewJob,
  type PrefetchedOptions,
} from './job-record.ts';
import {
  claimJob,
  closeJob,
  confirmPinChange,
  heartbeatJob,
  isAvailable,
  registerJob,
  releaseJob,
  requeueJob,
  setPrefetchedOptions,
  shipJob,
  type Registration,
  type Shipment,
  type Transition,
} from './job-transitions.ts';
import { tableKeySchema } from './table-key.ts';
import { storageFailure, tableStatus } from './table-status.ts';

export interface JobQueueOptions {
  /** Milliseconds since the epoch; tests pass a manual clock to expire leases without waiting. */
  now?: () => number;
  /** New lease ids; random UUIDs unless a test wants fixed ones. */
  newLeaseId?: () => string;
  /** How often one step re-reads and retries after losing an ETag race before giving up. */
  maxRaceRetries?: number;
}

const jobIdSchema = tableKeySchema;
const leaseIdSchema = z.string().min(1).max(200);
const leaseSecondsSchema = z.number().int().min(1).max(86_400);
const registrationSchema = z.strictObject({
  methodId: z.string().min(1).max(500),
  credentialId: z.string().regex(/^[A-Za-z0-9_-]{16,1400}$/, 'credentialId must be base64url'),
  aaguid: z.uuid().transform((a) => a.toLowerCase()),
  serial: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).optional(),
});

/**
 * The station job queue (docs/design.md §2.1, §3): approved requests wait here for a mailroom station.
 * A station claims a job with a lease that lapses unless it sends heartbeats, so a station that
 * dies gives its job back to the queue by itself. Every change is a read, a pure transition
 * (job-transitions.ts) and a write conditional on the ETag read: two stations racing for a job
 * cannot both win, and a step repeated with the same arguments is a no-op.
 */
export class JobQueue {
  private readonly table: TableClient;
  private readonly now: () => number;
  private readonly newLeaseId: () => string;
  private readonly maxRaceRetries: number;

  constructor(table: TableClient, options: JobQueueOptions = {}) {
    this.table = table;
    this.now = options.now ?? Date.now;
    this.newLeaseId = options.newLeaseId ?? randomUUID;
    this.maxRaceRetries = options.maxRaceRetries ?? 25;
  }

  /**
   * Adds an approved request's job. Idempotent by jobId: the same job again returns the stored
   * record; a different request under the same jobId is CONFLICT.
   */
  async enqueue(job: NewJob): Promise<JobRecord> {
    const input = parse(newJobSchema, job, 'job');
    const at = new Date(this.now()).toISOString();
    const record: JobRecord = {
      ...input,
      state: 'queued',
      attempts: 0,
      enqueuedAt: at,
      updatedAt: at,
    };
    const entity = jobToEntity(record);
    try {
      await this.table.createEntity(entity);
      return record;
    } catch (error) {
      if (tableStatus(error) !== 409) throw storageError(error, `enqueue job ${input.jobId}`);
    }
    const existing = (await this.read(input.jobId)).record;
    if (existing.requestId !== input.requestId || existing.instanceId !== input.instanceId) {
      throw new JobQueueError(
        'CONFLICT',
        `Job ${input.jobId} already exists for request ${existing.requestId}, not ${input.requestId}.`,
      );
    }
    return existing;
  }

  async get(jobId: string): Promise<JobRecord> {
    return (await this.read(parse(jobIdSchema, jobId, 'jobId'))).record;
  }

  /**
   * Jobs a station may claim, oldest approval first (ties by jobId): queued jobs, and leased jobs
   * whose lease lapsed. Fair across stations because every station sees the same order.
   */
  async listAvailable(options: { limit?: number } = {}): Promise<JobRecord[]> {
    const limit = parse(z.number().int().min(1).max(1000), options.limit ?? 100, 'limit');
    const now = this.now();
    const nowIso = new Date(now).toISOString();
    const jobs = await this.query(
      odata`PartitionKey eq ${JOB_PARTITION} and (state eq ${'queued'} or (state eq ${'leased'} and leaseExpiresAt le ${nowIso}))`,
    );
    // The query is the index; isAvailable is the rule, checked again against the same clock.
    return jobs
      .filter((job) => isAvailable(job, now))
      .sort(fifo)
      .slice(0, limit);
  }

  /** Jobs in the given states, oldest approval first: the operators' queue view, the workflow's sweeps. */
  async listByState(states: readonly JobState[]): Promise<JobRecord[]> {
    const wanted = parse(z.array(z.enum(JOB_STATES)).min(1), [...states], 'states');
    const clauses = wanted.map((state) => odata`state eq ${state}`).join(' or ');
    const jobs = await this.query(`${odata`PartitionKey eq ${JOB_PARTITION}`} and (${clauses})`);
    return jobs.sort(fifo);
  }

  /**
   * Claims one job for a station. Atomic: of several stations claiming at once, one gets the job
   * and the others CONFLICT. The same station claiming again renews its lease (same leaseId).
   */
  async claim(
    jobId: string,
    stationId: string,
    leaseSeconds: number,
    holder?: string,
  ): Promise<{ job: JobRecord; lease: JobLease }> {
    const id = parse(jobIdSchema, jobId, 'jobId');
    const station = parse(stationIdSchema, stationId, 'stationId');
    const seconds = parse(leaseSecondsSchema, leaseSeconds, 'leaseSeconds');
    const job = await this.change(id, (record, now) =>
      claimJob(
        record,
        {
          stationId: station,
          leaseSeconds: seconds,
          newLeaseId: this.newLeaseId(),
          ...(holder ? { holder } : {}),
        },
        now,
      ),
    );
    return { job, lease: job.lease! };
  }

  /**
   * Claims the oldest available job, or answers undefined when none is left. A job lost to a
   * faster station is skipped for the next one in line.
   */
  async claimNext(
    stationId: string,
    leaseSeconds: number,
    holder?: string,
  ): Promise<{ job: JobRecord; lease: JobLease } | undefined> {
    parse(stationIdSchema, stationId, 'stationId');
    parse(leaseSecondsSchema, leaseSeconds, 'leaseSeconds');
    for (let round = 0; round < this.maxRaceRetries; round += 1) {
      const candidates = await this.listAvailable({ limit: 20 });
      if (candidates.length === 0) return undefined;
      for (const candidate of candidates) {
        try {
          return await this.claim(candidate.jobId, stationId, leaseSeconds, holder);
        } catch (error) {
          // Someone else took it (or closed it) between the listing and the claim: next one.
          if (error instanceof JobQueueError && ['CONFLICT', 'INVALID_STATE'].includes(error.code))
            continue;
          throw error;
        }
      }
    }
    throw new JobQueueError(
      'CONFLICT',
      `Station ${stationId} lost every race for a job ${this.maxRaceRetries} times; try again.`,
    );
  }

  /** Extends the caller's live lease; LEASE_LOST when it lapsed, ended or belongs to another station. */
  async heartbeat(jobId: string, leaseId: string, leaseSeconds: number): Promise<JobRecord> {
    const lease = parse(leaseIdSchema, leaseId, 'leaseId');
    const seconds = parse(leaseSecondsSchema, leaseSeconds, 'leaseSeconds');
    return this.change(parse(jobIdSchema, jobId, 'jobId'), (record, now) =>
      heartbeatJob(record, lease, seconds, now),
    );
  }

  /** Gives a job back to the queue before registration; `countAttempt` for a failed attempt. */
  async release(
    jobId: string,
    leaseId: string,
    options: { countAttempt: boolean },
  ): Promise<JobRecord> {
    const lease = parse(leaseIdSchema, leaseId, 'leaseId');
    return this.change(parse(jobIdSchema, jobId, 'jobId'), (record, now) =>
      releaseJob(record, lease, { countAttempt: options.countAttempt }, now),
    );
  }

  /** Records Graph's registration of the key's credential (lease checked, repeat is a no-op). */
  async markRegistered(
    jobId: string,
    leaseId: string,
    registration: Registration,
  ): Promise<JobRecord> {
    const lease = parse(leaseIdSchema, leaseId, 'leaseId');
    const checked = parse(registrationSchema, registration, 'registration');
    return this.change(parse(jobIdSchema, jobId, 'jobId'), (record, now) =>
      registerJob(record, lease, checked, now),
    );
  }

  /** Records that the station set forcePINChange and read it back. */
  async markPinChangeConfirmed(jobId: string, leaseId: string): Promise<JobRecord> {
    const lease = parse(leaseIdSchema, leaseId, 'leaseId');
    return this.change(parse(jobIdSchema, jobId, 'jobId'), (record, now) =>
      confirmPinChange(record, lease, now),
    );
  }

  /** Records the shipment; the station's lease ends with it. */
  async markShipped(jobId: string, leaseId: string, shipment: Shipment): Promise<JobRecord> {
    const lease = parse(leaseIdSchema, leaseId, 'leaseId');
    const checked = parse(shipmentSchema.omit({ leaseId: true }), shipment, 'shipment');
    return this.change(parse(jobIdSchema, jobId, 'jobId'), (record, now) =>
      shipJob(record, lease, checked, now),
    );
  }

  /** Closes a job (cancelled, revoked, completed): stations holding it lose their lease. */
  async close(jobId: string, reason: string): Promise<JobRecord> {
    const why = parse(z.string().min(1).max(500), reason, 'reason');
    return this.change(parse(jobIdSchema, jobId, 'jobId'), (record, now) =>
      closeJob(record, why, now),
    );
  }

  /**
   * The workflow takes a held job back into the queue, dropping its registration (call it after
   * deleting the Graph method). `expectedLeaseId` is the lease it decided about.
   */
  async requeue(
    jobId: string,
    expectedLeaseId: string,
    options: { countAttempt: boolean },
  ): Promise<JobRecord> {
    const lease = parse(leaseIdSchema, expectedLeaseId, 'expectedLeaseId');
    return this.change(parse(jobIdSchema, jobId, 'jobId'), (record, now) =>
      requeueJob(record, lease, { countAttempt: options.countAttempt }, now),
    );
  }

  /** Stores (or, with undefined, clears) options fetched ahead of time for the job. */
  async setPrefetchedOptions(
    jobId: string,
    prefetched: PrefetchedOptions | undefined,
  ): Promise<JobRecord> {
    const checked =
      prefetched === undefined
        ? undefined
        : parse(prefetchedOptionsSchema, prefetched, 'prefetchedOptions');
    return this.change(parse(jobIdSchema, jobId, 'jobId'), (record, now) =>
      setPrefetchedOptions(record, checked, now),
    );
  }

  /** Read, transition, write under the ETag; on a lost race, read again and re-decide. */
  private async change(
    jobId: string,
    transition: (record: JobRecord, now: number) => Transition,
  ): Promise<JobRecord> {
    for (let attempt = 0; attempt < this.maxRaceRetries; attempt += 1) {
      const { record, etag } = await this.read(jobId);
      const next = transition(record, this.now());
      if (!next.changed) return next.record;
      const entity = jobToEntity(next.record);
      try {
        await this.table.updateEntity(entity, 'Replace', { etag });
        return next.record;
      } catch (error) {
        const status = tableStatus(error);
        if (status === 412) continue;
        if (status === 404) throw notFound(jobId);
        throw storageError(error, `update job ${jobId}`);
      }
    }
    throw new JobQueueError(
      'CONFLICT',
      `Job ${jobId} kept changing under this update (${this.maxRaceRetries} tries); try again.`,
    );
  }

  private async read(jobId: string): Promise<{ record: JobRecord; etag: string }> {
    let entity: Record<string, unknown> & { etag: string };
    try {
      entity = await this.table.getEntity<Record<string, unknown>>(JOB_PARTITION, jobId);
    } catch (error) {
      if (tableStatus(error) === 404) throw notFound(jobId);
      throw storageError(error, `read job ${jobId}`);
    }
    return { record: jobFromEntity(entity), etag: entity.etag };
  }

  private async query(filter: string): Promise<JobRecord[]> {
    const jobs: JobRecord[] = [];
    try {
      for await (const entity of this.table.listEntities<Record<string, unknown>>({
        queryOptions: { filter },
      })) {
        jobs.push(jobFromEntity(entity));
      }
    } catch (error) {
      if (error instanceof JobQueueError) throw error;
      throw storageError(error, 'list jobs');
    }
    return jobs;
  }
}

function fifo(a: JobRecord, b: JobRecord): number {
  if (a.approvedAt !== b.approvedAt) return Date.parse(a.approvedAt) - Date.parse(b.approvedAt);
  return a.jobId < b.jobId ? -1 : a.jobId > b.jobId ? 1 : 0;
}

function parse<T extends z.ZodType>(schema: T, value: unknown, what: string): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues
    .map((issue) => `${[what, ...issue.path.map(String)].join('.')}: ${issue.message}`)
    .join('; ');
  throw new JobQueueError('INVALID_INPUT', `Invalid ${what}: ${issues}`);
}

function notFound(jobId: string): JobQueueError {
  return new JobQueueError('NOT_FOUND', `No job ${jobId} in the station queue.`);
}

function storageError(cause: unknown, action: string): JobQueueError {
  return new JobQueueError('STORAGE', storageFailure(action, cause), { cause });
}
