import { RequestAction, type RequestView } from '../../core/request/request-view.ts';
import { RequestReason, RequestState } from '../../core/request/request-state.ts';
import { stringsFor } from '../../functions/bot/bot-strings.ts';
import type { AdaptiveCard } from '../../functions/bot/cards/adaptive-card.ts';
import { approvalCard } from '../../functions/bot/cards/approval-card.ts';
import { deliveryCard, deliveryConfirmedCard } from '../../functions/bot/cards/delivery-card.ts';
import { requesterNotificationCard } from '../../functions/bot/cards/notification-card.ts';
import { requestFormCard } from '../../functions/bot/cards/request-form-card.ts';
import {
  myRequestsCard,
  requestStatusCard,
} from '../../functions/bot/cards/request-status-card.ts';
import { welcomeCard } from '../../functions/bot/cards/welcome-card.ts';

const strings = stringsFor('en-US');
const TAB = 'https://teams.microsoft.com/l/entity/00000000-0000-0000-0000-000000000000/requests';
const maja = { id: '74d50326-ba14-4319-ac27-15d63260d1ba', displayName: 'Maja Lind' };
const lars = { id: '78e3ba99-1288-4b2f-8e04-b1cb1e31e884', displayName: 'Lars Eriksson' };
const LARS_MRI = '29:1lars-eriksson-sample-mri';

/** A request as its requester sees it, at `state`, with the actions that state allows. */
export function sampleView(state: RequestState, overrides: Partial<RequestView> = {}): RequestView {
  const shipped = state === RequestState.Shipped;
  const actions: RequestAction[] = [];
  if (
    [
      RequestState.Requested,
      RequestState.AwaitingApproval,
      RequestState.AwaitingStation,
      RequestState.Registered,
    ].includes(state as never) ||
    shipped
  ) {
    actions.push(RequestAction.Cancel);
  }
  if (shipped) actions.push(RequestAction.ConfirmDelivery, RequestAction.ReportLost);
  if (state === RequestState.PinReleased || state === RequestState.Completed) {
    actions.push(RequestAction.ReportLost);
  }
  return {
    requestId: '3f9c2d4e-sample',
    state,
    reason: RequestReason.NewHire,
    note: 'Starting in the Malmö office on Monday.',
    keyClass: 'YubiKey 5 Series',
    requestedAt: '2026-12-01T08:30:00.000Z',
    updatedAt: '2026-12-02T10:00:00.000Z',
    requester: maja,
    approvers: [lars],
    approvalDeadline: '2026-12-08T08:30:00.000Z',
    ...(shipped || state === RequestState.PinReleased || state === RequestState.Completed
      ? { carrier: 'PostNord', trackingNumber: 'UA123456789SE' }
      : {}),
    ...(state !== RequestState.Requested && state !== RequestState.AwaitingApproval
      ? { decidedBy: lars }
      : {}),
    deliveryConfirmed: state === RequestState.PinReleased || state === RequestState.Completed,
    pinReleased: state === RequestState.PinReleased || state === RequestState.Completed,
    actions,
    ...overrides,
  };
}

/** Every card the bot can send, in every state, with sample data: file name → card. */
export function cardGallery(): Map<string, AdaptiveCard> {
  const cards = new Map<string, AdaptiveCard>();
  const pending = sampleView(RequestState.AwaitingApproval, { actions: [RequestAction.Approve] });
  cards.set('welcome', welcomeCard(strings, 'Maja'));
  cards.set('help', welcomeCard(strings, undefined));
  const form = {
    keyClasses: ['Software key (local)', 'YubiKey 5 Series'],
    defaultKeyClass: 'YubiKey 5 Series',
    formId: 'form-sample',
  };
  cards.set(
    'request-form',
    requestFormCard(strings, { ...form, values: { shipTo: 'Stortorget 1\n211 22 Malmö' } }),
  );
  cards.set(
    'request-form-invalid',
    requestFormCard(strings, {
      ...form,
      values: { reason: 'lost' },
      problems: [strings.shipToRequired],
    }),
  );
  cards.set('my-requests-empty', myRequestsCard(strings, [], TAB));
  cards.set(
    'my-requests',
    myRequestsCard(
      strings,
      [
        sampleView(RequestState.Programming),
        sampleView(RequestState.Revoked, {
          requestId: '1a2b3c4d-earlier',
          outcome: 'lost',
          actions: [],
        }),
      ],
      TAB,
    ),
  );
  for (const state of Object.values(RequestState)) {
    cards.set(`request-status-${kebab(state)}`, requestStatusCard(strings, sampleView(state), TAB));
  }
  const approval = { approverUserIds: [LARS_MRI] };
  cards.set(
    'approval-approver',
    approvalCard(strings, pending, { ...approval, viewer: 'approver' }),
  );
  cards.set(
    'approval-observer',
    approvalCard(strings, pending, { ...approval, viewer: 'observer' }),
  );
  cards.set(
    'approval-approved',
    approvalCard(strings, sampleView(RequestState.AwaitingStation), {
      ...approval,
      viewer: 'observer',
      decision: { approved: true, by: lars, at: '2026-12-01T09:12:00.000Z', comment: 'Welcome!' },
    }),
  );
  cards.set(
    'approval-rejected',
    approvalCard(strings, sampleView(RequestState.Closed), {
      ...approval,
      viewer: 'observer',
      decision: { approved: false, by: lars, at: '2026-12-01T09:12:00.000Z' },
    }),
  );
  for (const kind of ['expired', 'escalated', 'cancelled'] as const) {
    cards.set(
      `approval-${kind}`,
      approvalCard(strings, pending, {
        ...approval,
        viewer: 'observer',
        ending: { kind, at: '2026-12-08T08:30:00.000Z' },
      }),
    );
  }
  const shipped = sampleView(RequestState.Shipped);
  cards.set('delivery', deliveryCard(strings, shipped));
  cards.set('delivery-mismatch', deliveryCard(strings, shipped, 'Those digits do not match.'));
  cards.set(
    'delivery-confirmed',
    deliveryConfirmedCard(
      strings,
      sampleView(RequestState.Shipped, { deliveryConfirmed: true }),
      TAB,
    ),
  );
  const notices: [string, RequestState][] = [
    ['approved', RequestState.AwaitingStation],
    ['rejected', RequestState.Closed],
    ['expired', RequestState.Closed],
    ['no-approver', RequestState.Closed],
    ['programming', RequestState.Programming],
    ['registered', RequestState.Registered],
    ['shipped', RequestState.Shipped],
    ['completed', RequestState.Completed],
    ['revoked', RequestState.Revoked],
    ['failed', RequestState.Failed],
    ['policy-refused', RequestState.Failed],
  ];
  for (const [kind, state] of notices) {
    cards.set(
      `notification-${kind}`,
      requesterNotificationCard(strings, kind, sampleView(state), TAB),
    );
  }
  return cards;
}

function kebab(text: string): string {
  return text.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase();
}
