import { toRequestView } from '../api/to-request-view.ts';
import { say, type Strings } from '../bot/bot-strings.ts';
import type { AdaptiveCard } from '../bot/cards/adaptive-card.ts';
import {
  approvalCard,
  type ApprovalDecisionView,
  type ApprovalEnding,
} from '../bot/cards/approval-card.ts';
import { notificationText, requesterNotificationCard } from '../bot/cards/notification-card.ts';
import { personName } from '../bot/cards/request-status-card.ts';
import type { Notification } from '../store/notification-outbox.ts';
import type { RequestSummary } from '../store/request-index.ts';

/**
 * One message for one person. Approval cards are remembered per approver, so reminders reply to
 * them and escalation, expiry and cancellation update them instead of posting anew.
 */
export type OutgoingMessage =
  | { kind: 'card'; card: AdaptiveCard }
  | { kind: 'text'; text: string }
  | { kind: 'approval-card'; card: AdaptiveCard }
  | { kind: 'approval-reply'; text: string }
  | { kind: 'approval-update'; card: AdaptiveCard };

const ENDINGS: Record<string, ApprovalEnding> = { expired: 'expired', cancelled: 'cancelled' };

/** What `recipientId` is sent for a notification. Pure: the dispatcher does the sending. */
export function notificationMessage(
  notification: Pick<Notification, 'kind' | 'audience'>,
  summary: RequestSummary,
  recipientId: string,
  context: {
    strings: Strings;
    tabUrl: string;
    approverUserIds: string[];
    /** The recipient's Teams user id, when they have talked to the bot. */
    recipientUserId?: string;
    decision?: ApprovalDecisionView;
    at: string;
  },
): OutgoingMessage {
  const { strings } = context;
  const view = toRequestView(summary, recipientId);
  if (notification.audience === 'requester') {
    return {
      kind: 'card',
      card: requesterNotificationCard(strings, notification.kind, view, context.tabUrl),
    };
  }
  if (notification.audience === 'it') {
    return { kind: 'text', text: notificationText(strings, notification.kind, view, 'it') };
  }
  const options = {
    viewer: 'observer' as const,
    approverUserIds: context.approverUserIds,
    ...(context.decision ? { decision: context.decision } : {}),
  };
  switch (notification.kind) {
    case 'reminder':
      return {
        kind: 'approval-reply',
        text: say(strings, 'reminder', {
          name: personName(summary.requester),
          requestId: summary.requestId,
        }),
      };
    case 'expired':
    case 'cancelled':
      return {
        kind: 'approval-update',
        card: approvalCard(strings, view, {
          ...options,
          ending: { kind: ENDINGS[notification.kind]!, at: context.at },
        }),
      };
    default: {
      // approval-requested, escalated: the current card (new approvers get it posted). It is
      // the read-only view that Teams refreshes into the buttons for the approvers it names;
      // an approver whose Teams id is not known yet (reached through Graph) gets the buttons in
      // their own chat at once. Either way only their invoke is accepted.
      const known = context.recipientUserId !== undefined;
      return {
        kind: 'approval-card',
        card: approvalCard(strings, view, { ...options, viewer: known ? 'observer' : 'approver' }),
      };
    }
  }
}
