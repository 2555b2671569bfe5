import type { TableClient } from '@azure/data-tables';
import { z } from 'zod';
import { CourierError } from '../../core/courier-error.ts';
import {
  registrationOutcomeSchema,
  type RegistrationOutcome,
} from '../../core/station-api/station-api-schemas.ts';
import { tableKeySchema } from './table-key.ts';
import { storageFailure, tableStatus } from './table-status.ts';

export type RegistrationAttemptsErrorCode =
  'CONFLICT' | 'INVALID_INPUT' | 'CORRUPT_RECORD' | 'STORAGE';

export class RegistrationAttemptsError extends CourierError<RegistrationAttemptsErrorCode> {}

const attemptSchema = z.strictObject({
  jobId: tableKeySchema,
  attempt: z.number().int().positive(),
  leaseId: z.string().min(1),
  stationId: z.string().min(1),
  credentialId: z.string().min(1),
  submittedAt: z.iso.datetime(),
  outcome: registrationOutcomeSchema.optional(),
  decidedAt: z.iso.datetime().optional(),
});
export type RegistrationAttempt = z.infer<typeof attemptSchema>;

/**
 * Each registration a station submits, by job and attempt, and Graph's answer once the workflow
 * has one. It makes the station's result call idempotent: the first submission of an attempt is
 * forwarded to the workflow, a repeat only waits for (or returns) the outcome, and a different
 * credential under a used attempt number is refused.
 */
export class RegistrationAttempts {
  private readonly table: TableClient;
  private readonly now: () => number;

  constructor(table: TableClient, options: { now?: () => number } = {}) {
    this.table = table;
    this.now = options.now ?? Date.now;
  }

  /**
   * Records a submission. Returns `first: true` when this call created it (forward it to the
   * workflow), false when the same submission was recorded before.
   */
  async submit(
    submission: Omit<RegistrationAttempt, 'submittedAt' | 'outcome' | 'decidedAt'>,
  ): Promise<{ first: boolean; attempt: RegistrationAttempt }> {
    const record = parse({ ...submission, submittedAt: new Date(this.now()).toISOString() });
    try {
      await this.table.createEntity(toEntity(record));
      return { first: true, attempt: record };
    } catch (error) {
      if (tableStatus(error) !== 409) throw storageError(error, 'record a registration attempt');
    }
    const existing = await this.get(record.jobId, record.attempt);
    if (!existing || existing.credentialId !== record.credentialId) {
      throw new RegistrationAttemptsError(
        'CONFLICT',
        `Attempt ${record.attempt} of job ${record.jobId} was already submitted with another credential; program the key again as attempt ${record.attempt + 1}.`,
      );
    }
    return { first: false, attempt: existing };
  }

  /** Stores Graph's answer for an attempt (the first answer wins; repeats change nothing). */
  async decide(jobId: string, attempt: number, outcome: RegistrationOutcome): Promise<void> {
    const existing = await this.get(jobId, attempt);
    if (!existing) {
      throw new RegistrationAttemptsError(
        'INVALID_INPUT',
        `Job ${jobId} has no attempt ${attempt} to record an outcome for.`,
      );
    }
    if (existing.outcome) return;
    const decided = parse({
      ...existing,
      outcome,
      decidedAt: new Date(this.now()).toISOString(),
    });
    try {
      await this.table.updateEntity(toEntity(decided), 'Replace');
    } catch (error) {
      throw storageError(error, 'record a registration outcome');
    }
  }

  /**
   * Notes, once, that a registered job's lease lapsed (its station is gone). True for the caller
   * that noted it first, which is the one to tell the workflow.
   */
  async markLeaseLost(jobId: string, leaseId: string): Promise<boolean> {
    try {
      await this.table.createEntity({
        partitionKey: jobId,
        rowKey: `lost-${encodeURIComponent(leaseId)}`,
        notedAt: new Date(this.now()).toISOString(),
      });
      return true;
    } catch (error) {
      if (tableStatus(error) === 409) return false;
      throw storageError(error, 'note a lost station');
    }
  }

  /** Forgets a lost-lease note, when telling the workflow failed and a later sweep must retry. */
  async unmarkLeaseLost(jobId: string, leaseId: string): Promise<void> {
    try {
      await this.table.deleteEntity(jobId, `lost-${encodeURIComponent(leaseId)}`);
    } catch (error) {
      if (tableStatus(error) !== 404) throw storageError(error, 'forget a lost station');
    }
  }

  async get(jobId: string, attempt: number): Promise<RegistrationAttempt | undefined> {
    let entity: { body?: unknown };
    try {
      entity = await this.table.getEntity<{ body?: unknown }>(jobId, rowKey(attempt));
    } catch (error) {
      if (tableStatus(error) === 404) return undefined;
      throw storageError(error, 'read a registration attempt');
    }
    try {
      return attemptSchema.parse(JSON.parse(String(entity.body)));
    } catch (cause) {
      throw new RegistrationAttemptsError(
        'CORRUPT_RECORD',
        `Stored attempt ${attempt} of job ${jobId} cannot be read.`,
        { cause },
      );
    }
  }
}

function rowKey(attempt: number): string {
  return String(attempt).padStart(6, '0');
}

function toEntity(record: RegistrationAttempt) {
  return {
    partitionKey: record.jobId,
    rowKey: rowKey(record.attempt),
    body: JSON.stringify(record),
  };
}

function parse(value: unknown): RegistrationAttempt {
  const checked = attemptSchema.safeParse(value);
  if (checked.success) return checked.data;
  throw new RegistrationAttemptsError(
    'INVALID_INPUT',
    `Invalid registration attempt: ${checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
  );
}

function storageError(cause: unknown, action: string): RegistrationAttemptsError {
  return new RegistrationAttemptsError('STORAGE', storageFailure(action, cause), { cause });
}
