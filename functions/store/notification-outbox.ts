import { odata, type TableClient } from '@azure/data-tables';
import { z } from 'zod';
import { CourierError } from '../../core/courier-error.ts';
import { storageFailure, tableStatus } from './table-status.ts';

export type NotificationOutboxErrorCode = 'INVALID_INPUT' | 'CORRUPT_RECORD' | 'STORAGE';

export class NotificationOutboxError extends CourierError<NotificationOutboxErrorCode> {}

/**
 * A message owed to people about a request: the workflow writes it here in the same activity
 * that records the transition, and the bot delivers it (a card or a chat line) and marks it
 * sent. Recipients are Entra object ids, or a group id for IT. It names what happened, never a
 * secret: the PIN itself is only ever shown in answer to the requester's own request.
 */
export const notificationSchema = z.strictObject({
  /** `${requestId}:${step}:${audience}`: the same on every retry of the activity. */
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
});
export type Notification = z.infer<typeof notificationSchema>;

const PENDING = 'pending';
const SENT = 'sent';

/**
 * The outbox (transactional-outbox pattern, per request step): adding is idempotent by id, and
 * delivery moves a row from the pending partition to the sent one.
 */
export class NotificationOutbox {
  private readonly table: TableClient;
  private readonly now: () => number;

  constructor(table: TableClient, options: { now?: () => number } = {}) {
    this.table = table;
    this.now = options.now ?? Date.now;
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
  }

  /** Pending messages, oldest first. */
  async pending(options: { requestId?: string } = {}): Promise<Notification[]> {
    return (await this.list(PENDING)).filter(
      (n) => options.requestId === undefined || n.requestId === options.requestId,
    );
  }

  /** Sent messages (kept for support), oldest first. */
  async sent(options: { requestId?: string } = {}): Promise<Notification[]> {
    return (await this.list(SENT)).filter(
      (n) => options.requestId === undefined || n.requestId === options.requestId,
    );
  }

  /** Marks a message delivered. Repeating it is harmless. */
  async markSent(notificationId: string): Promise<void> {
    const rowKey = encodeKey(notificationId);
    let entity: { body?: unknown };
    try {
      entity = await this.table.getEntity<{ body?: unknown }>(PENDING, rowKey);
    } catch (error) {
      if (tableStatus(error) === 404) return;
      throw storageError(error, 'read a notification');
    }
    const notification = parse(entity.body);
    const sent = { ...notification, sentAt: new Date(this.now()).toISOString() };
    try {
      await this.table.upsertEntity(
        { partitionKey: SENT, rowKey, body: JSON.stringify(sent) },
        'Replace',
      );
      await this.table.deleteEntity(PENDING, rowKey);
    } catch (error) {
      if (tableStatus(error) !== 404) throw storageError(error, 'mark a notification sent');
    }
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

  private async list(partition: string): Promise<Notification[]> {
    const found: Notification[] = [];
    try {
      for await (const entity of this.table.listEntities<{ body?: unknown }>({
        queryOptions: { filter: odata`PartitionKey eq ${partition}` },
      })) {
        found.push(parse(entity.body));
      }
    } catch (error) {
      if (error instanceof NotificationOutboxError) throw error;
      throw storageError(error, 'list notifications');
    }
    return found.sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt));
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
