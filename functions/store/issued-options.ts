import { createHash } from 'node:crypto';
import type { TableClient } from '@azure/data-tables';
import { z } from 'zod';
import { CourierError } from '../../core/courier-error.ts';
import { storageFailure, tableStatus } from './table-status.ts';

export type IssuedOptionsErrorCode = 'STORAGE' | 'CORRUPT_RECORD';

export class IssuedOptionsError extends CourierError<IssuedOptionsErrorCode> {}

/** What the service handed a station to make a credential with: the challenge and the RP. */
const issuedSchema = z.strictObject({
  jobId: z.string().min(1),
  challenge: z.string().min(1),
  rpId: z.string().min(1),
  expiresAt: z.iso.datetime(),
});
export type IssuedCreationOptions = z.infer<typeof issuedSchema>;

const PARTITION = 'issued-options';

/**
 * The creation options the service issued, per job, kept (in the registration attempts' table)
 * so a submitted registration is verified against what was issued — the challenge and the RP —
 * rather than against whatever its clientDataJSON claims.
 */
export class IssuedOptions {
  readonly #table: TableClient;

  constructor(table: TableClient) {
    this.#table = table;
  }

  async record(issued: IssuedCreationOptions): Promise<void> {
    const entity = {
      partitionKey: PARTITION,
      rowKey: rowKey(issued.jobId, issued.challenge),
      ...issued,
    };
    try {
      await this.#table.upsertEntity(entity, 'Replace');
    } catch (error) {
      throw new IssuedOptionsError('STORAGE', storageFailure('record issued options', error), {
        cause: error,
      });
    }
  }

  /** The options issued for `jobId` with this challenge, or undefined when none were. */
  async find(jobId: string, challenge: string): Promise<IssuedCreationOptions | undefined> {
    let row: Record<string, unknown>;
    try {
      row = await this.#table.getEntity(PARTITION, rowKey(jobId, challenge));
    } catch (error) {
      if (tableStatus(error) === 404) return undefined;
      throw new IssuedOptionsError('STORAGE', storageFailure('read issued options', error), {
        cause: error,
      });
    }
    const parsed = issuedSchema.safeParse({
      jobId: row.jobId,
      challenge: row.challenge,
      rpId: row.rpId,
      expiresAt: row.expiresAt,
    });
    if (!parsed.success || parsed.data.challenge !== challenge || parsed.data.jobId !== jobId) {
      throw new IssuedOptionsError(
        'CORRUPT_RECORD',
        `Issued options of job ${jobId} do not read back.`,
      );
    }
    return parsed.data;
  }
}

/** Challenges are long and may hold characters keys cannot: the key is a digest of both. */
function rowKey(jobId: string, challenge: string): string {
  return createHash('sha256').update(`${jobId}\u0000${challenge}`).digest('hex');
}
