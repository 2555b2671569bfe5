import type { TableClient } from '@azure/data-tables';
import { CourierError } from '../../core/courier-error.ts';
import { storageFailure, tableStatus } from './table-status.ts';

export type OpenRequestClaimErrorCode = 'STORAGE' | 'CONFLICT';

export class OpenRequestClaimError extends CourierError<OpenRequestClaimErrorCode> {}

/** Whose one open request a requester's claim names, as stored. */
interface ClaimEntity {
  partitionKey: string;
  rowKey: string;
  requestId: string;
  claimedAt: string;
}

/** What the claims need to know about the request a claim names. */
export type ClaimHolderState = 'open' | 'finished' | 'absent';

export type ClaimOutcome = { claimed: true } | { claimed: false; holder: string };

const PARTITION = 'open-request';
/** A claim whose request never appeared is still honoured this long (its start is under way). */
const STARTING_GRACE_MS = 60_000;

/**
 * One open request per requester, enforced atomically: each requester has one row naming the
 * request that holds their slot. Taking the slot is an insert (409 if someone got there first)
 * or, when the holder has finished, a replace under the row's ETag (412 if it moved meanwhile);
 * so of two concurrent requests exactly one claims the slot, whatever the timing. Lives in the
 * request index's table, under its own partition.
 */
export class OpenRequestClaims {
  readonly #table: TableClient;
  readonly #maxRaceRetries: number;

  constructor(table: TableClient, options: { maxRaceRetries?: number } = {}) {
    this.#table = table;
    this.#maxRaceRetries = options.maxRaceRetries ?? 8;
  }

  /**
   * Claims `requesterId`'s slot for `requestId`. Claiming again for the same request succeeds
   * (a retried call). `holderState` says whether the request holding the slot is still open.
   */
  async claim(
    requesterId: string,
    requestId: string,
    holderState: (holder: string) => Promise<ClaimHolderState>,
    now: number = Date.now(),
  ): Promise<ClaimOutcome> {
    const rowKey = requesterId.toLowerCase();
    const entity: ClaimEntity = {
      partitionKey: PARTITION,
      rowKey,
      requestId,
      claimedAt: new Date(now).toISOString(),
    };
    for (let round = 0; round < this.#maxRaceRetries; round++) {
      const current = await this.#read(rowKey);
      if (!current) {
        try {
          await this.#table.createEntity(entity);
          return { claimed: true };
        } catch (error) {
          if (tableStatus(error) === 409) continue;
          throw new OpenRequestClaimError(
            'STORAGE',
            storageFailure('claim a request slot', error),
            {
              cause: error,
            },
          );
        }
      }
      if (current.requestId === requestId) return { claimed: true };
      const state = await holderState(current.requestId);
      const starting =
        state === 'absent' && now - Date.parse(current.claimedAt) < STARTING_GRACE_MS;
      if (state === 'open' || starting) return { claimed: false, holder: current.requestId };
      try {
        await this.#table.updateEntity(entity, 'Replace', { etag: current.etag });
        return { claimed: true };
      } catch (error) {
        if (tableStatus(error) === 412 || tableStatus(error) === 404) continue;
        throw new OpenRequestClaimError('STORAGE', storageFailure('claim a request slot', error), {
          cause: error,
        });
      }
    }
    throw new OpenRequestClaimError('CONFLICT', 'Your open request kept changing; try again.');
  }

  /** The request holding the requester's slot, if any (finished or not). */
  async holder(requesterId: string): Promise<string | undefined> {
    return (await this.#read(requesterId.toLowerCase()))?.requestId;
  }

  async #read(rowKey: string): Promise<(ClaimEntity & { etag: string }) | undefined> {
    try {
      const row = await this.#table.getEntity<ClaimEntity>(PARTITION, rowKey);
      return { ...row, etag: row.etag };
    } catch (error) {
      if (tableStatus(error) === 404) return undefined;
      throw new OpenRequestClaimError('STORAGE', storageFailure('read a request slot', error), {
        cause: error,
      });
    }
  }
}
