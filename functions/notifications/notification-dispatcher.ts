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
}

/** Per notification and recipient: delivered (never sent again). */
interface Delivered {
  at: string;
  activityId: string;
}

const FIRST_RETRY_MS = 10_000;
const MAX_RETRY_MS = 60 * 60_000;

/** Exponential back-off with jitter, capped at an hour: a Teams outage delays, never drops. */
export function retryDelay(attempts: number, random: () => number = Math.random): number {
  const base = Math.min(FIRST_RETRY_MS * 2 ** (attempts - 1), MAX_RETRY_MS);
  return Math.round(base * (0.75 + random() * 0.5));
}

/**
 * Drains the notification outbox into Teams. Each (notification, recipient) is delivered once:
 * a delivery mark is written after the send, and a notification leaves the outbox only when
 * every recipient has one. A failure (Teams, Graph, storage) leaves it pending with a back-off,
 * so nothing is lost; only a crash between a send and its mark can repeat that one message.
 */
export class NotificationDispatcher {
  private readonly parts: DispatcherParts;
  private readonly now: () => number;

  constructor(parts: DispatcherParts) {
    this.parts = parts;
    this.now = parts.now ?? Date.now;
  }

  /** One pass over the pending notifications; returns how many were completed. */
  async drain(): Promise<{ delivered: number; waiting: number }> {
    const { outbox, state, log } = this.parts;
    let delivered = 0;
    let waiting = 0;
    for (const notification of await outbox.pending()) {
      const backoff = await state.get<Backoff>('backoff', notification.notificationId);
      if (backoff && backoff.nextAttemptAt > this.now()) {
        waiting += 1;
        continue;
      }
      try {
        await this.deliver(notification);
        await outbox.markSent(notification.notificationId);
        delivered += 1;
      } catch (error) {
        const attempts = (backoff?.attempts ?? 0) + 1;
        const next: Backoff = {
          attempts,
          nextAttemptAt: this.now() + retryDelay(attempts),
          lastError: error instanceof Error ? error.message.slice(0, 500) : String(error),
        };
        log.warn('notification-not-delivered', {
          notificationId: notification.notificationId,
          attempts,
          error,
        });
        await state.put('backoff', notification.notificationId, next);
        waiting += 1;
      }
    }
    return { delivered, waiting };
  }

  private async deliver(notification: Notification): Promise<void> {
    const { requests, graph, state } = this.parts;
    const summary = await requests.find(notification.requestId);
    if (!summary) throw new Error(`Request ${notification.requestId} has no summary yet.`);
    const recipients = notification.recipientIsGroup
      ? (await Promise.all(notification.recipients.map((g) => graph.listGroupMembers(g))))
          .flat()
          .map((member) => member.id)
      : notification.recipients;
    const failures: unknown[] = [];
    for (const recipient of new Set(recipients)) {
      const partition = `delivered:${notification.notificationId}`;
      if (await state.get<Delivered>(partition, recipient)) continue;
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
