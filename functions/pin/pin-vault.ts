import type { TableClient } from '@azure/data-tables';
import { z } from 'zod';
import { pinEnvelopeSchema, type PinEnvelope } from '../../core/pin-envelope/pin-envelope.ts';
import { tableKeySchema } from '../store/table-key.ts';
import { storageFailure, tableStatus } from '../store/table-status.ts';
import { PinVaultError } from './pin-vault-error.ts';

/** Where a request's PIN is: never stored, sealed and waiting, released once, or destroyed. */
export type PinVaultState = 'absent' | 'sealed' | 'released' | 'destroyed';

export interface PinVaultOptions {
  now?: () => number;
  /** How often a step re-reads after losing an ETag race. */
  maxRaceRetries?: number;
}

const ROW = 'pin-envelope';

const storedSchema = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('sealed'),
    v: z.literal(1),
    kid: pinEnvelopeSchema.shape.kid,
    alg: z.literal('RSA-OAEP-256'),
    ciphertext: pinEnvelopeSchema.shape.ciphertext,
    storedAt: z.string(),
  }),
  z.object({ status: z.literal('released'), storedAt: z.string(), releasedAt: z.string() }),
  z.object({ status: z.literal('destroyed'), storedAt: z.string(), destroyedAt: z.string() }),
]);
type Stored = z.infer<typeof storedSchema>;

/**
 * Holds each request's PIN envelope (docs/design.md §2.2) until the requester confirms delivery. Only the
 * ciphertext is stored; the PIN exists in clear only inside `takeForRelease`, for the caller to
 * show once. Releasing replaces the envelope with a tombstone under the ETag it was read with, so
 * of two concurrent releases exactly one gets the PIN, and a late retry of `put` cannot bring a
 * released envelope back. The tombstone keeps no ciphertext, key id or PIN-derived data.
 */
export class PinVault {
  private readonly table: TableClient;
  private readonly now: () => number;
  private readonly maxRaceRetries: number;

  constructor(table: TableClient, options: PinVaultOptions = {}) {
    this.table = table;
    this.now = options.now ?? Date.now;
    this.maxRaceRetries = options.maxRaceRetries ?? 10;
  }

  /**
   * Stores the envelope for a request. Storing the same envelope again is fine (an activity
   * retried); a different one is CONFLICT (destroy the first, e.g. when a key is programmed
   * again); after release it is ALREADY_RELEASED. A destroyed entry takes a new envelope.
   */
  async put(requestId: string, envelope: PinEnvelope): Promise<void> {
    const id = checkId(requestId);
    const checked = pinEnvelopeSchema.safeParse(envelope);
    if (!checked.success)
      throw new PinVaultError('INVALID_INPUT', 'The PIN envelope is malformed.');
    const sealed: Stored = { status: 'sealed', ...checked.data, storedAt: this.iso() };
    for (let attempt = 0; attempt < this.maxRaceRetries; attempt += 1) {
      const current = await this.read(id);
      if (current === undefined) {
        try {
          await this.table.createEntity({ partitionKey: id, rowKey: ROW, ...sealed });
          return;
        } catch (error) {
          if (tableStatus(error) === 409) continue;
          throw storageError(error, id);
        }
      }
      const { stored, etag } = current;
      if (stored.status === 'sealed') {
        if (stored.kid === checked.data.kid && stored.ciphertext === checked.data.ciphertext)
          return;
        throw new PinVaultError(
          'CONFLICT',
          `A different PIN envelope is already stored for request ${id}; destroy it before storing another.`,
        );
      }
      if (stored.status === 'released') throw released(id);
      if (await this.replace(id, sealed, etag)) return;
    }
    throw raced(id);
  }

  /**
   * Opens the request's envelope with `open` and, only if that succeeds, destroys the ciphertext;
   * returns what `open` returned. The PIN can be had once: a second call, or the loser of two
   * concurrent calls, gets ALREADY_RELEASED. If `open` fails nothing is destroyed.
   */
  async takeForRelease<T>(
    requestId: string,
    open: (envelope: PinEnvelope) => Promise<T>,
  ): Promise<T> {
    const id = checkId(requestId);
    for (let attempt = 0; attempt < this.maxRaceRetries; attempt += 1) {
      const current = await this.read(id);
      if (current === undefined) {
        throw new PinVaultError('NOT_FOUND', `No PIN envelope was stored for request ${id}.`);
      }
      const { stored, etag } = current;
      if (stored.status === 'released') throw released(id);
      if (stored.status === 'destroyed') throw destroyed(id);
      const opened = await open({
        v: stored.v,
        kid: stored.kid,
        alg: stored.alg,
        ciphertext: stored.ciphertext,
      });
      const tombstone: Stored = {
        status: 'released',
        storedAt: stored.storedAt,
        releasedAt: this.iso(),
      };
      // Someone else released or destroyed it while we decrypted: what we opened is dropped.
      if (await this.replace(id, tombstone, etag)) return opened;
    }
    throw raced(id);
  }

  /** True while an envelope is waiting to be released. */
  async exists(requestId: string): Promise<boolean> {
    return (await this.state(requestId)) === 'sealed';
  }

  async state(requestId: string): Promise<PinVaultState> {
    const current = await this.read(checkId(requestId));
    return current?.stored.status ?? 'absent';
  }

  /**
   * Destroys the ciphertext without releasing it (request revoked, cancelled, or a key programmed
   * again). Idempotent; a released entry stays released; nothing stored stays nothing.
   */
  async destroy(requestId: string): Promise<void> {
    const id = checkId(requestId);
    for (let attempt = 0; attempt < this.maxRaceRetries; attempt += 1) {
      const current = await this.read(id);
      if (current === undefined || current.stored.status !== 'sealed') return;
      const tombstone: Stored = {
        status: 'destroyed',
        storedAt: current.stored.storedAt,
        destroyedAt: this.iso(),
      };
      if (await this.replace(id, tombstone, current.etag)) return;
    }
    throw raced(id);
  }

  private iso(): string {
    return new Date(this.now()).toISOString();
  }

  private async read(id: string): Promise<{ stored: Stored; etag: string } | undefined> {
    let entity: Record<string, unknown> & { etag: string };
    try {
      entity = await this.table.getEntity<Record<string, unknown>>(id, ROW);
    } catch (error) {
      if (tableStatus(error) === 404) return undefined;
      throw storageError(error, id);
    }
    const parsed = storedSchema.safeParse(entity);
    if (!parsed.success) {
      throw new PinVaultError(
        'CORRUPT_RECORD',
        `The stored PIN entry of request ${id} is not readable.`,
      );
    }
    return { stored: parsed.data, etag: entity.etag };
  }

  /** Replaces the whole entity (dropping columns it no longer has) if the ETag still holds. */
  private async replace(id: string, stored: Stored, etag: string): Promise<boolean> {
    try {
      await this.table.updateEntity({ partitionKey: id, rowKey: ROW, ...stored }, 'Replace', {
        etag,
      });
      return true;
    } catch (error) {
      if (tableStatus(error) === 412 || tableStatus(error) === 404) return false;
      throw storageError(error, id);
    }
  }
}

function checkId(requestId: string): string {
  const checked = tableKeySchema.safeParse(requestId);
  if (!checked.success) throw new PinVaultError('INVALID_INPUT', 'The request id is not valid.');
  return checked.data;
}

function released(id: string): PinVaultError {
  return new PinVaultError(
    'ALREADY_RELEASED',
    `The PIN of request ${id} was already released; it is shown only once.`,
  );
}

function destroyed(id: string): PinVaultError {
  return new PinVaultError(
    'DESTROYED',
    `The PIN envelope of request ${id} was destroyed; the key must be reset and programmed again.`,
  );
}

function raced(id: string): PinVaultError {
  return new PinVaultError('STORAGE', `The PIN entry of request ${id} kept changing; try again.`);
}

function storageError(cause: unknown, id: string): PinVaultError {
  return new PinVaultError(
    'STORAGE',
    storageFailure(`keep the PIN entry of request ${id}`, cause),
    {
      cause,
    },
  );
}
