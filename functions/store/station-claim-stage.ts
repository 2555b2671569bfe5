import { RequestState } from '../../core/request/request-state.ts';
import type { NotificationOutbox } from './notification-outbox.ts';
import type { RequestIndex } from './request-index.ts';

/**
 * A station claimed the request's job: from now on every view says Programming, as the audit
 * trail does (the workflow itself only hears from the station when the key is registered or
 * fails). Only a request still AwaitingStation moves: the workflow's own later steps
 * (Registered, or AwaitingStation again after a failed key) overwrite it as they come. The
 * requester is told once per lease.
 */
export async function recordStationClaim(
  stores: { requests: RequestIndex; outbox: NotificationOutbox },
  claim: { requestId: string; leaseId: string; at: string },
): Promise<void> {
  let moved = false;
  const summary = await stores.requests.applyRequesterStep(claim.requestId, (current) => {
    moved = current.state === RequestState.AwaitingStation;
    return moved ? { state: RequestState.Programming, updatedAt: claim.at } : undefined;
  });
  if (!moved) return;
  await stores.outbox.add({
    notificationId: `${claim.requestId}:claim-${claim.leaseId}:requester`,
    requestId: claim.requestId,
    kind: 'programming',
    audience: 'requester',
    recipients: [summary.requester.id],
    recipientIsGroup: false,
    state: RequestState.Programming,
  });
}
