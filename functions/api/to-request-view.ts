import { RequestAction, type RequestView } from '../../core/request/request-view.ts';
import { RequestState } from '../../core/request/request-state.ts';
import type { RequestSummary } from '../store/request-index.ts';

const OPEN_BEFORE_KEY: ReadonlySet<RequestState> = new Set([
  RequestState.Requested,
  RequestState.AwaitingApproval,
  RequestState.AwaitingStation,
  // A station holds the job; cancelling still stops it before a key exists.
  RequestState.Programming,
]);

/** What `viewerId` may do with the request now. Pure: the API checks the same rules again. */
export function availableActions(summary: RequestSummary, viewerId: string): RequestAction[] {
  const viewer = viewerId.toLowerCase();
  const isRequester = summary.requester.id.toLowerCase() === viewer;
  const actions: RequestAction[] = [];
  if (
    !isRequester &&
    summary.state === RequestState.AwaitingApproval &&
    summary.approvers.some((a) => a.id.toLowerCase() === viewer)
  ) {
    actions.push(RequestAction.Approve);
  }
  if (!isRequester) return actions;
  const shipped = summary.state === RequestState.Shipped;
  if (
    OPEN_BEFORE_KEY.has(summary.state) ||
    summary.state === RequestState.Registered ||
    (shipped && !summary.deliveryConfirmedAt)
  ) {
    actions.push(RequestAction.Cancel);
  }
  if (shipped && !summary.deliveryConfirmedAt) actions.push(RequestAction.ConfirmDelivery);
  if (shipped && summary.deliveryConfirmedAt && !summary.pinReleasedAt) {
    actions.push(RequestAction.RevealPin);
  }
  if (
    shipped ||
    summary.state === RequestState.PinReleased ||
    summary.state === RequestState.Completed
  ) {
    actions.push(RequestAction.ReportLost);
  }
  return actions;
}

/** The request as `viewerId` sees it. */
export function toRequestView(summary: RequestSummary, viewerId: string): RequestView {
  const person = (p: { id: string; displayName?: string }) => ({
    id: p.id,
    ...(p.displayName ? { displayName: p.displayName } : {}),
  });
  return {
    requestId: summary.requestId,
    state: summary.state,
    reason: summary.reason,
    ...(summary.note ? { note: summary.note } : {}),
    keyClass: summary.keyClass.name,
    requestedAt: summary.requestedAt,
    updatedAt: summary.updatedAt,
    requester: person(summary.requester),
    approvers: summary.approvers.map(person),
    ...(summary.decidedBy ? { decidedBy: person(summary.decidedBy) } : {}),
    ...(summary.approvalDeadline ? { approvalDeadline: summary.approvalDeadline } : {}),
    ...(summary.carrier ? { carrier: summary.carrier } : {}),
    ...(summary.trackingNumber ? { trackingNumber: summary.trackingNumber } : {}),
    ...(summary.deliveryDeadline ? { deliveryDeadline: summary.deliveryDeadline } : {}),
    deliveryConfirmed: summary.deliveryConfirmedAt !== undefined,
    pinReleased: summary.pinReleasedAt !== undefined,
    ...(summary.outcome ? { outcome: summary.outcome } : {}),
    ...(summary.outcomeMessage ? { outcomeMessage: summary.outcomeMessage } : {}),
    ...(summary.replaces ? { replaces: summary.replaces } : {}),
    actions: availableActions(summary, viewerId),
  };
}
