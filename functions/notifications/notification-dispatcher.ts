import type { GraphGateway } from '../../core/graph/graph-gateway.ts';
import { approvalDecisionOf } from '../bot/approval-decision-of.ts';
import { stringsFor } from '../bot/bot-strings.ts';
import type { ApprovalCardMessages } from '../bot/store/approval-card-messages.ts';
import type { BotState } from '../bot/store/bot-state.ts';
import type { ConversationReferences } from '../bot/store/conversation-references.ts';
import type { CourierLogger } from '../log/courier-logger.ts';
import type { AuditTrail } from '../store/audit-trail.ts';
import type { Notification, NotificationOutbox } from '../store/notification-outbox.ts';
import type { RequestIndex, RequestSummary } from '../store/request-index.ts';
import type { Messenger, StoredConversationReference } from './messenger.ts';
import type { NotificationNudges } from './notification-queue.ts';
import { notificationMessage } from './notification-messages.ts';

export interface DispatcherParts {
  outbox: NotificationOutbox;
  requests: RequestIndex;
  audit: Pick<AuditTrail, 'listByRequest'>;
  graph: Pick<GraphGateway, 'listGroupMembers' | 'installTeamsAppForUser'>;
  references: ConversationReferences;
  approvalCards: ApprovalCardMessages;
  state: BotState;
  messenger: Messenger;
  /** Re-enqueues a failed notification for when its back-off ends; without it, the sweep retries. */
  nudges?: NotificationNudges;
  settings: {
    tenantId: string;
    tabUrl: string;
    /** The Teams app's catalog id, to install it for people who have not; none: no installs. */
    teamsAppCatalogId: string | undefined;
    /** Where Teams' Bot Connector is, for chats found through Graph (no activity seen yet). */
    serviceUrl: string;
    botAppId: string;
  };
  log: CourierLogger;
  now?: () => number;
}

/** Per notification: how often delivery failed, and when to try again. */
interface Backoff {
  attempts: number;
  nextAttemptAt: number;
  lastError: string;
  /** How many times in a row it waited for earlier messages (not failures). */
  waits?: number;
}

/** Per notification and recipient: delivered (never sent again). */
interface Delivered {
  at: string;
  activityId: string;
}

const FIRST_RETRY_MS = 10_000;
const MAX_RETRY_MS = 60 * 60_000;

/**
 * How long a deliverer holds a notification: longer than host.json's functionTimeout (5 min), so
 * a lease never lapses while its holder still runs; a holder that crashed loses it after this.
 */
export const DELIVERY_LEASE_MS = 6 * 60_000;

/** What became of one delivery attempt. */
export type DeliveryOutcome =
  | { kind: 'delivered' }
  /** Not pending any more (delivered by someone else, or never added). */
  | { kind: 'gone' }
  /** Another deliverer holds it until then. */
  | { kind: 'held'; until: number }
  /** An earlier failure's back-off runs until then; its own retry is already on the queue. */
  | { kind: 'backing-off'; until: number }
  /** Not every recipient was reached: back-off recorded, retry queued for `retryAt`. */
  | { kind: 'failed'; retryAt: number }
  /**
   * Someone still waits for an earlier message of the same request (in flight, or backing off):
   * they get this one after it, so a card is never updated before it is posted. Retry queued.
   */
  | { kind: 'waiting'; retryAt: number; behind: string[] };

/**
 * How soon to look again when an earlier message is being delivered right now: 2 s, doubling
 * while it stays in flight, up to the lease (a deliverer that crashed holds it that long).
 */
const IN_FLIGHT_WAIT_MS = 2_000;

/** Exponential back-off with jitter, capped at an hour: a Teams outage delays, never drops. */
export function retryDelay(attempts: number, random: () => number = Math.random): number {
  const base = Math.min(FIRST_RETRY_MS * 2 ** (attempts - 1), MAX_RETRY_MS);
  return Math.round(base * (0.75 + random() * 0.5));
}

/**
 * Delivers the notification outbox into Teams. One deliverer at a time per notification (its
 * lease in the outbox); each (notification, recipient) is delivered once: a delivery mark is
 * written after the send, and a notification leaves the outbox only when every recipient has
 * one. A failure (Teams, Graph, storage) leaves it pending with a back-off, so nothing is lost;
 * only a crash between a send and its mark can repeat that one message.
 */
export class NotificationDispatcher {
  private readonly parts: DispatcherParts;
  private readonly now: () => number;

  constructor(parts: DispatcherParts) {
    this.parts = parts;
    this.now = parts.now ?? Date.now;
  }

  /**
   * One pass over the pending notifications that are due (the safety-net sweep: what a lost
   * nudge or a crashed deliverer left behind); returns how many were completed.
   */
  async drain(): Promise<{ delivered: number; waiting: number }> {
    let delivered = 0;
    let waiting = 0;
    for (const notification of await this.parts.outbox.pending()) {
      try {
        const outcome = await this.deliverOne(notification.notificationId);
        if (outcome.kind === 'delivered') delivered += 1;
        else if (outcome.kind !== 'gone') waiting += 1;
      } catch (error) {
        // Storage trouble with one row must not stop the rest; it stays pending for next time.
        this.parts.log.warn('notification-not-swept', {
          notificationId: notification.notificationId,
          error,
        });
        waiting += 1;
      }
    }
    return { delivered, waiting };
  }

  /**
   * Delivers one notification under its lease (the queue trigger's work, and the sweep's per
   * row). A delivery failure is not thrown: the back-off is recorded, the lease given back and the
   * notification put on the queue again for when the back-off ends, so a Teams outage delays
   * messages and never drops them. Storage failures are thrown; the row stays pending.
   */
  async deliverOne(notificationId: string): Promise<DeliveryOutcome> {
    const { outbox, state, log } = this.parts;
    const backoff = await state.get<Backoff>('backoff', notificationId);
    if (backoff && backoff.nextAttemptAt > this.now()) {
      return { kind: 'backing-off', until: backoff.nextAttemptAt };
    }
    const leased = await outbox.lease(notificationId, DELIVERY_LEASE_MS);
    if (leased.kind === 'gone') return leased;
    if (leased.kind === 'held') return { kind: 'held', until: Date.parse(leased.until) };
    let behind: string[];
    try {
      behind = await this.deliver(leased.notification);
    } catch (error) {
      const attempts = (backoff?.attempts ?? 0) + 1;
      const delay = retryDelay(attempts);
      const next: Backoff = {
        attempts,
        nextAttemptAt: this.now() + delay,
        lastError: error instanceof Error ? error.message.slice(0, 500) : String(error),
      };
      log.warn('notification-not-delivered', { notificationId, attempts, error });
      await state.put('backoff', notificationId, next);
      await outbox.release(notificationId, leased.lease.leaseId);
      await this.retryLater(notificationId, delay);
      return { kind: 'failed', retryAt: next.nextAttemptAt };
    }
    if (behind.length > 0) {
      // Not a failure: wait for the earlier messages, without growing the back-off.
      const waits = (backoff?.waits ?? 0) + 1;
      const retryAt = await this.afterEarlier(behind, waits);
      await state.put('backoff', notificationId, {
        attempts: backoff?.attempts ?? 0,
        nextAttemptAt: retryAt,
        lastError: `waiting for ${behind.join(', ')}`,
        waits,
      } satisfies Backoff);
      await outbox.release(notificationId, leased.lease.leaseId);
      await this.retryLater(notificationId, retryAt - this.now());
      return { kind: 'waiting', retryAt, behind };
    }
    await outbox.complete(notificationId, leased.lease.leaseId);
    return { kind: 'delivered' };
  }

  /** When to try again behind earlier messages: just after their own next attempt. */
  private async afterEarlier(behind: string[], waits: number): Promise<number> {
    let at = this.now() + Math.min(IN_FLIGHT_WAIT_MS * 2 ** (waits - 1), DELIVERY_LEASE_MS);
    for (const id of behind) {
      const earlier = await this.parts.state.get<Backoff>('backoff', id);
      if (earlier && earlier.nextAttemptAt > this.now()) {
        at = Math.max(at, earlier.nextAttemptAt + IN_FLIGHT_WAIT_MS);
      }
    }
    return at;
  }

  /** Queues the next attempt; if even that fails, the sweep finds the row once it is due. */
  private async retryLater(notificationId: string, delayMs: number): Promise<void> {
    try {
      await this.parts.nudges?.nudge(notificationId, delayMs);
    } catch (error) {
      this.parts.log.warn('notification-retry-not-queued', { notificationId, error });
    }
  }

  /**
   * Sends to every recipient not yet marked; throws when some could not be reached. Answers the
   * earlier messages some recipients still wait for: each person gets a request's messages in
   * the order they were written (queue messages run in parallel, in no order), so an approval
   * card is posted before a reminder replies to it or an expiry updates it.
   */
  private async deliver(notification: Notification): Promise<string[]> {
    const { requests, graph, state, outbox } = this.parts;
    const summary = await requests.find(notification.requestId);
    if (!summary) throw new Error(`Request ${notification.requestId} has no summary yet.`);
    const recipients = notification.recipientIsGroup
      ? (await Promise.all(notification.recipients.map((g) => graph.listGroupMembers(g))))
          .flat()
          .map((member) => member.id)
      : notification.recipients;
    // Earlier messages of the request to named people (group messages are one-line notes to IT,
    // whose order does not change their meaning).
    const earlier = (await outbox.pending({ requestId: notification.requestId })).filter(
      (other) =>
        !other.recipientIsGroup &&
        other.notificationId !== notification.notificationId &&
        Date.parse(other.createdAt) < Date.parse(notification.createdAt),
    );
    const failures: unknown[] = [];
    const behind = new Set<string>();
    for (const recipient of new Set(recipients)) {
      const partition = `delivered:${notification.notificationId}`;
      if (await state.get<Delivered>(partition, recipient)) continue;
      const first = await this.firstUndelivered(earlier, recipient);
      if (first) {
        behind.add(first);
        continue;
      }
      try {
        const activityId = await this.deliverTo(notification, summary, recipient);
        await state.put(partition, recipient, {
          at: new Date(this.now()).toISOString(),
          activityId,
        } satisfies Delivered);
      } catch (error) {
        failures.push(error);
      }
    }
    if (failures.length > 0) {
      throw new Error(
        `${failures.length} of ${recipients.length} recipients not reached: ${String((failures[0] as Error)?.message ?? failures[0])}`,
        { cause: failures[0] },
      );
    }
    return [...behind];
  }

  /** The earliest of `earlier` that names `recipient` and has not reached them yet. */
  private async firstUndelivered(
    earlier: Notification[],
    recipient: string,
  ): Promise<string | undefined> {
    for (const other of earlier) {
      if (!other.recipients.includes(recipient)) continue;
      const mark = await this.parts.state.get<Delivered>(
        `delivered:${other.notificationId}`,
        recipient,
      );
      if (!mark) return other.notificationId;
    }
    return undefined;
  }

  private async deliverTo(
    notification: Notification,
    summary: RequestSummary,
    recipient: string,
  ): Promise<string> {
    const { messenger, approvalCards, audit, references, settings } = this.parts;
    const stored = await references.find(recipient);
    const reference = stored?.reference ?? (await this.referenceFor(recipient));
    const approverUserIds = (
      await Promise.all(summary.approvers.map((a) => references.find(a.id)))
    ).flatMap((entry) => (entry ? [entry.teamsUserId] : []));
    const decision =
      notification.audience === 'approvers'
        ? await approvalDecisionOf(audit, summary.requestId)
        : undefined;
    const message = notificationMessage(notification, summary, recipient, {
      // The language of the person's own chat with the bot, when they have one.
      strings: stringsFor(
        typeof stored?.reference.locale === 'string' ? stored.reference.locale : undefined,
      ),
      tabUrl: settings.tabUrl,
      approverUserIds,
      at: new Date(this.now()).toISOString(),
      ...(stored ? { recipientUserId: stored.teamsUserId } : {}),
      ...(decision ? { decision } : {}),
    });
    const posted = await approvalCards.find(summary.requestId, recipient);
    switch (message.kind) {
      case 'card':
        return messenger.send(reference, { card: message.card });
      case 'text':
        return messenger.send(reference, { text: message.text });
      case 'approval-reply':
        return messenger.send(reference, { text: message.text }, posted?.activityId);
      case 'approval-update':
        if (!posted) return ''; // Never got a card: nothing to close.
        await messenger.update(reference, posted.activityId, message.card);
        return posted.activityId;
      case 'approval-card': {
        if (posted) {
          await messenger.update(reference, posted.activityId, message.card);
          return posted.activityId;
        }
        const activityId = await messenger.send(reference, { card: message.card });
        await approvalCards.save({
          requestId: summary.requestId,
          approverId: recipient,
          activityId,
          postedAt: new Date(this.now()).toISOString(),
        });
        return activityId;
      }
    }
  }

  /**
   * The chat to reach someone who never talked to the bot: the app installed for them through
   * Graph, and its 1:1 chat.
   */
  private async referenceFor(userId: string): Promise<StoredConversationReference> {
    const { graph, settings } = this.parts;
    if (!settings.teamsAppCatalogId) {
      throw new Error(
        `${userId} has not installed the app, and COURIER_TEAMS_APP_CATALOG_ID is not set to install it for them.`,
      );
    }
    const { chatId } = await graph.installTeamsAppForUser(userId, settings.teamsAppCatalogId);
    return {
      channelId: 'msteams',
      serviceUrl: settings.serviceUrl,
      conversation: { id: chatId, conversationType: 'personal', tenantId: settings.tenantId },
      user: { id: '', aadObjectId: userId },
      bot: { id: `28:${settings.botAppId}`, name: 'Passkey Courier' },
    };
  }
}
