import type { TokenCredential } from '@azure/core-auth';
import {
  QueueServiceClient,
  type QueueClient,
  type StoragePipelineOptions,
} from '@azure/storage-queue';
import { z } from 'zod';
import { CourierError } from '../../core/courier-error.ts';

/**
 * The storage queue that has a notification delivered as soon as it is written (the queue
 * trigger in register-notifications.ts). Lowercase, 3-63 characters: the Functions host's rule.
 */
export const NOTIFICATION_QUEUE = 'courier-notifications';

/**
 * The connection the queue trigger names, and the producer reads the same way the Functions host
 * does: `COURIER_QUEUES` holding a connection string (Azurite), or in Azure the identity-based
 * `COURIER_QUEUES__queueServiceUri` with `__credential=managedidentity` and `__clientId`.
 */
export const QUEUE_CONNECTION = 'COURIER_QUEUES';

/** Where the queue lives: as TableSettings, a connection string or an endpoint and an identity. */
export type QueueSettings = (
  { connectionString: string } | { serviceUri: string; credential: TokenCredential }
) & {
  /** The CA to trust instead of the public ones: the local CA Azurite's certificate is from. */
  caPem?: string;
};

export class NotificationQueueError extends CourierError<'CONFIGURATION_INVALID' | 'STORAGE'> {}

/** What a nudge says: only which notification to deliver; the outbox row holds the rest. */
export const nudgeSchema = z.strictObject({ notificationId: z.string().min(1).max(300) });
export type Nudge = z.infer<typeof nudgeSchema>;

/** Has one notification delivered now, or after `delayMs`. */
export interface NotificationNudges {
  nudge(notificationId: string, delayMs?: number): Promise<void>;
}

/** The queue's longest visibility delay (7 days); back-off never comes near it. */
const MAX_DELAY_SECONDS = 7 * 24 * 3600;

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * The message text for a nudge, base64-encoded: the Functions host's queue trigger decodes
 * base64 by default (host.json `extensions.queues.messageEncoding`, "base64" unless set to
 * "none"), while this SDK sends text as given.
 */
export function encodeNudge(notificationId: string): string {
  const body: Nudge = { notificationId };
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64');
}

/** The notification id a nudge names, read as written or as copied raw; undefined if neither. */
function nudgedId(text: string): string | undefined {
  for (const candidate of [Buffer.from(text, 'base64').toString('utf8'), text]) {
    try {
      const nudge = nudgeSchema.safeParse(JSON.parse(candidate));
      if (nudge.success) return nudge.data.notificationId;
    } catch {
      // Not this form; try the next.
    }
  }
  return undefined;
}

/** Puts nudges on the notification queue. */
export class NotificationQueue implements NotificationNudges {
  readonly client: QueueClient;
  /** Where the host moves nudges it gave up on (`<queue>-poison`). */
  readonly poison: QueueClient;

  constructor(client: QueueClient, poison: QueueClient) {
    this.client = client;
    this.poison = poison;
  }

  /**
   * Takes up to 32 nudges off the poison queue and answers the notifications they named. Their
   * outbox rows stayed pending, so the sweep (which calls this after draining) has delivered
   * them or will; the nudges themselves are spent, and are only reported.
   */
  async takePoisoned(): Promise<string[]> {
    try {
      if (!(await this.poison.exists())) return [];
      const { receivedMessageItems } = await this.poison.receiveMessages({ numberOfMessages: 32 });
      const named: string[] = [];
      for (const message of receivedMessageItems) {
        named.push(nudgedId(message.messageText) ?? `unreadable message ${message.messageId}`);
        await this.poison.deleteMessage(message.messageId, message.popReceipt);
      }
      return named;
    } catch (cause) {
      throw new NotificationQueueError(
        'STORAGE',
        `Could not read queue ${this.poison.name}: ${(cause as Error).message}`,
        { cause },
      );
    }
  }

  async nudge(notificationId: string, delayMs = 0): Promise<void> {
    // Whole seconds, rounded up: the message must not be visible before the back-off ends.
    const visibilityTimeout = Math.min(Math.max(0, Math.ceil(delayMs / 1000)), MAX_DELAY_SECONDS);
    try {
      await this.client.sendMessage(encodeNudge(notificationId), { visibilityTimeout });
    } catch (cause) {
      throw new NotificationQueueError(
        'STORAGE',
        `Could not put notification ${notificationId} on queue ${this.client.name}: ${(cause as Error).message}`,
        { cause },
      );
    }
  }
}

/**
 * Opens the notification queue, creating it when missing. Plain http only to a loopback address
 * (Azurite); anything else must be https. In Azure, the identity needs "Storage Queue Data
 * Contributor" on the account.
 */
export async function openNotificationQueue(settings: QueueSettings): Promise<NotificationQueue> {
  // Verification stays on: the local CA is the one trusted, never a check removed. The storage
  // pipeline passes these options through to core-rest-pipeline, which applies tlsOptions.
  const options = (
    settings.caPem ? { tlsOptions: { ca: settings.caPem } } : {}
  ) as StoragePipelineOptions;
  let service: QueueServiceClient;
  if ('connectionString' in settings) {
    const endpoint = /(?:^|;)QueueEndpoint=([^;]+)/i.exec(settings.connectionString)?.[1];
    if (endpoint) checkEndpoint(endpoint);
    try {
      service = QueueServiceClient.fromConnectionString(settings.connectionString, options);
    } catch (cause) {
      // The connection string holds an account key: never quote it.
      throw new NotificationQueueError(
        'CONFIGURATION_INVALID',
        `${QUEUE_CONNECTION} is not a valid storage connection string.`,
        { cause },
      );
    }
  } else {
    checkEndpoint(settings.serviceUri);
    service = new QueueServiceClient(settings.serviceUri, settings.credential, options);
  }
  const client = service.getQueueClient(NOTIFICATION_QUEUE);
  try {
    await client.createIfNotExists();
  } catch (cause) {
    throw new NotificationQueueError(
      'STORAGE',
      `Could not open queue ${NOTIFICATION_QUEUE} at ${service.url}: ${(cause as Error).message}`,
      { cause },
    );
  }
  return new NotificationQueue(client, service.getQueueClient(`${NOTIFICATION_QUEUE}-poison`));
}

function checkEndpoint(endpoint: string): void {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch (cause) {
    throw new NotificationQueueError(
      'CONFIGURATION_INVALID',
      `The queue endpoint ${endpoint} is not a URL.`,
      { cause },
    );
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) {
    throw new NotificationQueueError(
      'CONFIGURATION_INVALID',
      `The queue endpoint ${url.origin} must use https (plain http only to a loopback Azurite).`,
    );
  }
}
