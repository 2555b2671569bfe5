import type { TableClient } from '@azure/data-tables';
import { z } from 'zod';
import { CourierError } from '../../core/courier-error.ts';
import { tableKeySchema } from './table-key.ts';
import { storageFailure, tableStatus } from './table-status.ts';

export type SignInChecksErrorCode = 'INVALID_INPUT' | 'CORRUPT_RECORD' | 'STORAGE';

export class SignInChecksError extends CourierError<SignInChecksErrorCode> {}

/** What a registered attempt's sign-in check needs from its registration. */
const registrationSchema = z.strictObject({
  jobId: tableKeySchema,
  attempt: z.number().int().positive(),
  credentialId: z.string().min(1),
  /** base64url, as the station submitted it: the credential's public key and counter live here. */
  attestationObject: z.string().min(1),
  /** From the registration's clientDataJSON origin: the RP the credential is scoped to. */
  rpId: z.string().min(1),
});
export type SignInRegistration = z.infer<typeof registrationSchema>;

/** One lease's check: the challenge it was issued, and how it ended. */
const checkSchema = z.strictObject({
  jobId: tableKeySchema,
  leaseId: z.string().min(1),
  attempt: z.number().int().positive(),
  challenge: z.string().min(1),
  expiresAt: z.iso.datetime(),
  outcome: z.enum(['passed', 'failed']).optional(),
  signCount: z.number().int().nonnegative().optional(),
  detail: z.string().optional(),
  decidedAt: z.iso.datetime().optional(),
});
export type SignInCheck = z.infer<typeof checkSchema>;

/**
 * The sign-in checks, kept in the registration attempts' table beside the attempts (rows
 * `signin-attempt-N` and `signin-lease-L` in the job's partition): the registration the check is
 * verified against, remembered when the station submits it, and each lease's challenge and result.
 */
export class SignInChecks {
  private readonly table: TableClient;

  constructor(table: TableClient) {
    this.table = table;
  }

  /** Remembers a submitted registration (the first submission of an attempt wins). */
  async rememberRegistration(registration: SignInRegistration): Promise<void> {
    const record = parse(registrationSchema, registration, 'registration');
    try {
      await this.table.createEntity({
        partitionKey: record.jobId,
        rowKey: attemptRow(record.attempt),
        body: JSON.stringify(record),
      });
    } catch (error) {
      if (tableStatus(error) !== 409) throw storageError(error, 'remember a registration');
    }
  }

  registration(jobId: string, attempt: number): Promise<SignInRegistration | undefined> {
    return this.read(registrationSchema, jobId, attemptRow(attempt));
  }

  check(jobId: string, leaseId: string): Promise<SignInCheck | undefined> {
    return this.read(checkSchema, jobId, leaseRow(leaseId));
  }

  /** Stores a lease's check (a new challenge replaces an undecided one). */
  async save(check: SignInCheck): Promise<void> {
    const record = parse(checkSchema, check, 'sign-in check');
    try {
      await this.table.upsertEntity(
        {
          partitionKey: record.jobId,
          rowKey: leaseRow(record.leaseId),
          body: JSON.stringify(record),
        },
        'Replace',
      );
    } catch (error) {
      throw storageError(error, 'record a sign-in check');
    }
  }

  private async read<T extends z.ZodType>(
    schema: T,
    jobId: string,
    row: string,
  ): Promise<z.output<T> | undefined> {
    let entity: { body?: unknown };
    try {
      entity = await this.table.getEntity<{ body?: unknown }>(jobId, row);
    } catch (error) {
      if (tableStatus(error) === 404) return undefined;
      throw storageError(error, 'read a sign-in check');
    }
    try {
      return schema.parse(JSON.parse(String(entity.body)));
    } catch (cause) {
      throw new SignInChecksError(
        'CORRUPT_RECORD',
        `Stored ${row} of job ${jobId} cannot be read.`,
        {
          cause,
        },
      );
    }
  }
}

function attemptRow(attempt: number): string {
  return `signin-attempt-${String(attempt).padStart(6, '0')}`;
}

function leaseRow(leaseId: string): string {
  return `signin-lease-${encodeURIComponent(leaseId)}`;
}

function parse<T extends z.ZodType>(schema: T, value: unknown, what: string): z.output<T> {
  const checked = schema.safeParse(value);
  if (checked.success) return checked.data;
  throw new SignInChecksError(
    'INVALID_INPUT',
    `Invalid ${what}: ${checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
  );
}

function storageError(cause: unknown, action: string): SignInChecksError {
  return new SignInChecksError('STORAGE', storageFailure(action, cause), { cause });
}
