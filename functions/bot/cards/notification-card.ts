import type { RequestView } from '../../../core/request/request-view.ts';
import { RequestAction } from '../../../core/request/request-view.ts';
import { say, type StringKey, type Strings } from '../bot-strings.ts';
import type { AdaptiveCard } from './adaptive-card.ts';
import { deliveryCard } from './delivery-card.ts';
import { personName, requestStatusCard } from './request-status-card.ts';
import { stageName } from './stage-timeline.ts';

/** Outbox kinds that tell the requester something, and the sentence for each. */
const REQUESTER_SENTENCES: Record<string, StringKey> = {
  approved: 'notifyApproved',
  rejected: 'notifyRejected',
  expired: 'notifyExpired',
  'no-approver': 'notifyNoApprover',
  programming: 'notifyProgramming',
  registered: 'notifyRegistered',
  shipped: 'notifyShipped',
  completed: 'notifyCompleted',
  revoked: 'notifyRevoked',
  failed: 'notifyFailed',
  'policy-refused': 'notifyPolicyRefused',
  cancelled: 'notifyCancelled',
};

/** The one sentence a notification says, for the requester (or IT, when `audience` is it). */
export function notificationText(
  strings: Strings,
  kind: string,
  view: RequestView,
  audience: 'requester' | 'it' = 'requester',
): string {
  const values = {
    requestId: view.requestId,
    approver: view.decidedBy ? personName(view.decidedBy) : '',
    name: personName(view.requester),
    outcome: view.outcomeMessage ?? view.outcome ?? stageName(strings, view.state),
    stage: stageName(strings, view.state),
    carrier: view.carrier ?? '',
    tracking: view.trackingNumber ?? '',
  };
  if (audience === 'it') return say(strings, 'notifyItFailure', values);
  if (kind === 'shipped' && view.trackingNumber) {
    return say(strings, 'notifyShippedTracking', values);
  }
  return say(strings, REQUESTER_SENTENCES[kind] ?? 'notifyOther', values);
}

/**
 * The card a requester gets when their request moves: the sentence, the timeline and what they
 * can do now. A shipped key comes with the delivery form at once.
 */
export function requesterNotificationCard(
  strings: Strings,
  kind: string,
  view: RequestView,
  tabUrl: string,
): AdaptiveCard {
  const text = notificationText(strings, kind, view);
  if (kind === 'shipped' && view.actions.includes(RequestAction.ConfirmDelivery)) {
    return deliveryCard(strings, view, undefined, text);
  }
  return requestStatusCard(strings, view, tabUrl, text);
}
