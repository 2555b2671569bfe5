import { randomUUID } from 'node:crypto';
import { odata, type TableClient } from '@azure/data-tables';
import { z } from 'zod';
import { CourierError } from '../../core/courier-error.ts';
import { holds, takeLease, type DeliveryLease } from './delivery-lease.ts';
import { storageFailure, tableStatus } from './table-status.ts';

export type NotificationOutboxErrorCode =
  'INVALID_INPUT' | 'CORRUPT_RECORD' | 'STORAGE' | 'LEASE_LOST' | 'CONFLICT';

export class NotificationOutboxError extends CourierError<NotificationOutboxErrorCode> {}

/**
 * A message owed to people about a request: the workflow writes it here in the same activity
 * that records the transition, and the bot delivers it (a card or a chat line) and marks it
 * sent. Recipients are Entra object ids, or a group id for IT. It names what happened, never a
 * secret: the PIN itself is only ever shown in answer to the requester's own request.
 */
export const notificationSchema = z
  .strictObject({
    /**
     * `${requestId}:${step}:${audience}`: the same on every retry of the activity. Starting with
     * the request id is what lets a request's messages be read as one row-key range.
     */
    notificationId: z.string().min(1).max(300),
    requestId: z.string().min(1),
    kind: z.string().min(1).max(64),
    audience: z.enum(['requester', 'approvers', 'it']),
    /** User object ids (requester, approvers) or the IT group's id. */
    recipients: z.array(z.string().min(1)).max(500),
    recipientIsGroup: z.boolean(),
    state: z.string().min(1),
    createdAt: z.iso.datetime(),
    sentAt: z.iso.datetime().optional(),
  })
  .refine((n) => n.notificationId.startsWith(`${n.requestId}:`), {
    path: ['notificationId'],
    message: 'must start with the request id and a colon',
  });
export type Notification = z.infer<typeof notificationSchema>;

const PENDING = 'pending';
const SENT = 'sent';

/** A deliverer's hold on a pending notification: until `expiresAt`, nobody else delivers it. */
export type LeaseOutcome =
  | { kind: 'leased'; notification: Notification; lease: DeliveryLease }
  /** Another deliverer holds it until `until`. */
  | { kind: 'held'; until: string }
  /** Not pending (sent, or never added): nothing to deliver. */
  | { kind: 'gone' };

export interface NotificationOutboxOptions {
  /** Milliseconds since the epoch; tests pass a manual clock to expire leases without waiting. */
  now?: () => number;
  /** New lease ids; random UUIDs unless a test wants fixed ones. */
  newLeaseId?: () => string;
  /** How often one step re-reads and retries after losing an ETag race before giving up. */
  maxRaceRetries?: number;
  /**
   * Told the id of every message added (or found still pending when added again): the queue
   * nudge that has it delivered at once. Best effort: a failure leaves the row pending, and the
   * sweep delivers it; the callback reports its own failures.
   */
  onAdded?: (notificationId: string) => Promise<void>;
}

interface PendingRow {
  notification: Notification;
  lease: DeliveryLease | undefined;
  etag: string;
}

interface PendingEntity {
  body?: unknown;
  leaseId?: unknown;
  leaseExpiresAt?: unknown;
}

/**
 * The outbox (transactional-outbox pattern, per request step): adding is idempotent by id, a
 * deliverer leases a pending row (under its ETag, delivery-lease.ts holds the rules), and
 * completing moves it from the pending partition to the sent one.
 */
export class NotificationOutbox {
  private readonly table: TableClient;
  private readonly now: () => number;
  private readonly newLeaseId: () => string;
  private readonly maxRaceRetries: number;
  private readonly onAdded: ((notificationId: string) => Promise<void>) | undefined;

  constructor(table: TableClient, options: NotificationOutboxOptions = {}) {
    this.table = table;
    this.now = options.now ?? Date.now;
    this.newLeaseId = options.newLeaseId ?? randomUUID;
    this.maxRaceRetries = options.maxRaceRetries ?? 25;
    this.onAdded = options.onAdded;
  }

  /** Adds a message unless one with its id is already pending or sent. */
  async add(notification: Omit<Notification, 'createdAt' | 'sentAt'>): Promise<void> {
    const checked = notificationSchema.safeParse({
      ...notification,
      createdAt: new Date(this.now()).toISOString(),
    });
    if (!checked.success) {
      throw new NotificationOutboxError(
        'INVALID_INPUT',
        `Invalid notification: ${checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    }
    const rowKey = encodeKey(checked.data.notificationId);
    if (await this.exists(SENT, rowKey)) return;
    try {
      await this.table.createEntity({
        partitionKey: PENDING,
        rowKey,
        body: JSON.stringify(checked.data),
      });
    } catch (error) {
      if (tableStatus(error) !== 409) throw storageError(error, 'add a notification');
    }
    // Also when it was pending already: an earlier run may have crashed before its nudge.
    if (this.onAdded) {
      await this.onAdded(checked.data.notificationId).catch(() => undefined);
    }
  }

  /**
   * Pending messages, oldest first; one request's alone when asked (a range of row keys, read on
   * every delivery to keep each person's order, so never the whole outbox).
   */
  pending(options: { requestId?: string } = {}): Promise<Notification[]> {
    return this.list(PENDING, options.requestId);
  }

  /** Sent messages (kept for support), oldest first. */
  sent(options: { requestId?: string } = {}): Promise<Notification[]> {
    return this.list(SENT, options.requestId);
  }

  /**
   * Leases a pending message for `leaseMs`: of several deliverers asking at once, one gets it and
   * the others hear who holds it until when. A lapsed lease is taken over.
   */
  async lease(notificationId: string, leaseMs: number): Promise<LeaseOutcome> {
    const gone: LeaseOutcome = { kind: 'gone' };
    return this.change<LeaseOutcome>(
      notificationId,
      'lease a notification',
      gone,
      (row, rowKey) => {
        if (!row) return { result: gone };
        const decision = takeLease(
          row.lease,
          { newLeaseId: this.newLeaseId(), leaseMs },
          this.now(),
        );
        if (decision.kind === 'held') return { result: decision };
        return {
          result: { kind: 'leased', notification: row.notification, lease: decision.lease },
          write: (etag) =>
            this.table.updateEntity(
              {
                partitionKey: PENDING,
                rowKey,
                body: JSON.stringify(row.notification),
                leaseId: decision.lease.leaseId,
                leaseExpiresAt: decision.lease.expiresAt,
              },
              'Replace',
              { etag },
            ),
        };
      },
    );
  }

  /**
   * Marks a message delivered, under the lease it was delivered with; repeating it is harmless.
   * LEASE_LOST when another deliverer took the lease over (it completes the message itself).
   */
  async complete(notificationId: string, leaseId: string): Promise<void> {
    await this.change(notificationId, 'mark a notification sent', undefined, (row, rowKey) => {
      if (!row) return { result: undefined };
      if (!holds(row.lease, leaseId)) {
        throw new NotificationOutboxError(
          'LEASE_LOST',
          `Notification ${notificationId} is now leased by another deliverer.`,
        );
      }
      const sent = { ...row.notification, sentAt: new Date(this.now()).toISOString() };
      return {
        result: undefined,
        write: async (etag) => {
          await this.table.upsertEntity(
            { partitionKey: SENT, rowKey, body: JSON.stringify(sent) },
            'Replace',
          );
          await this.table.deleteEntity(PENDING, rowKey, { etag });
        },
      };
    });
  }

  /** Gives a lease back after a failed delivery, so the next attempt need not wait for it to lapse. */
  async release(notificationId: string, leaseId: string): Promise<void> {
    await this.change(notificationId, 'release a notification', undefined, (row, rowKey) => {
      if (!row || !holds(row.lease, leaseId)) return { result: undefined };
      return {
        result: undefined,
        write: (etag) =>
          this.table.updateEntity(
            { partitionKey: PENDING, rowKey, body: JSON.stringify(row.notification) },
            'Replace',
            { etag },
          ),
      };
    });
  }

  /**
   * Read the pending row, decide (delivery-lease.ts holds the rules), write under the row's ETag;
   * on a lost race, read again and decide again. A row deleted meanwhile answers `whenGone`.
   */
  private async change<T>(
    notificationId: string,
    action: string,
    whenGone: T,
    decide: (
      row: PendingRow | undefined,
      rowKey: string,
    ) => { result: T; write?: (etag: string) => Promise<unknown> },
  ): Promise<T> {
    const rowKey = encodeKey(notificationId);
    for (let attempt = 0; attempt < this.maxRaceRetries; attempt += 1) {
      const row = await this.read(rowKey);
      const { result, write } = decide(row, rowKey);
      if (!row || !write) return result;
      try {
        await write(row.etag);
        return result;
      } catch (error) {
        const status = tableStatus(error);
        if (status === 412) continue;
        if (status === 404) return whenGone;
        throw storageError(error, action);
      }
    }
    throw new NotificationOutboxError(
      'CONFLICT',
      `Notification ${notificationId} kept changing under this update (${this.maxRaceRetries} tries); try again.`,
    );
  }

  private async read(rowKey: string): Promise<PendingRow | undefined> {
    let entity: PendingEntity & { etag: string };
    try {
      entity = await this.table.getEntity<PendingEntity>(PENDING, rowKey);
    } catch (error) {
      if (tableStatus(error) === 404) return undefined;
      throw storageError(error, 'read a notification');
    }
    const lease =
      typeof entity.leaseId === 'string' && typeof entity.leaseExpiresAt === 'string'
        ? { leaseId: entity.leaseId, expiresAt: entity.leaseExpiresAt }
        : undefined;
    return { notification: parse(entity.body), lease, etag: entity.etag };
  }

  private async exists(partition: string, rowKey: string): Promise<boolean> {
    try {
      await this.table.getEntity(partition, rowKey);
      return true;
    } catch (error) {
      if (tableStatus(error) === 404) return false;
      throw storageError(error, 'read a notification');
    }
  }

  private async list(partition: string, requestId?: string): Promise<Notification[]> {
    // A request's ids all start with `${requestId}:`; encoded, ':' is %3A and ';' is %3B.
    const filter =
      requestId === undefined
        ? odata`PartitionKey eq ${partition}`
        : odata`PartitionKey eq ${partition} and RowKey ge ${`${encodeKey(requestId)}%3A`} and RowKey lt ${`${encodeKey(requestId)}%3B`}`;
    const found: Notification[] = [];
    try {
      for await (const entity of this.table.listEntities<{ body?: unknown }>({
        queryOptions: { filter },
      })) {
        found.push(parse(entity.body));
      }
    } catch (error) {
      if (error instanceof NotificationOutboxError) throw error;
      throw storageError(error, 'list notifications');
    }
    return found.sort(
      (a, b) =>
        Date.parse(a.createdAt) - Date.parse(b.createdAt) ||
        (a.notificationId < b.notificationId ? -1 : a.notificationId > b.notificationId ? 1 : 0),
    );
  }
}

// Row keys may not hold '/', '\', '#', '?': ids are request ids and words, but be safe.
function encodeKey(id: string): string {
  return encodeURIComponent(id);
}

function parse(body: unknown): Notification {
  try {
    return notificationSchema.parse(JSON.parse(String(body)));
  } catch (cause) {
    throw new NotificationOutboxError('CORRUPT_RECORD', 'A stored notification cannot be read.', {
      cause,
    });
  }
}

function storageError(cause: unknown, action: string): NotificationOutboxError {
  return new NotificationOutboxError('STORAGE', storageFailure(action, cause), { cause });
}
