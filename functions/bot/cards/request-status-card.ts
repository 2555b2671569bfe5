import { RequestAction, type RequestView } from '../../../core/request/request-view.ts';
import { say, type Strings } from '../bot-strings.ts';
import { BotVerb } from '../bot-verbs.ts';
import {
  adaptiveCard,
  execute,
  facts,
  heading,
  paragraph,
  when,
  type CardAction,
  type CardElement,
  type AdaptiveCard,
} from './adaptive-card.ts';
import { REASON_CHOICES } from './request-form-card.ts';
import { stageName, stageTimeline } from './stage-timeline.ts';
import { trackingLink } from './tracking-link.ts';

export function reasonText(strings: Strings, reason: string): string {
  const key = REASON_CHOICES.find(([value]) => value === reason)?.[1];
  return key ? strings[key] : reason;
}

export function personName(person: { id: string; displayName?: string }): string {
  return person.displayName ?? person.id;
}

/** The facts people recognise a request by. */
export function requestFacts(strings: Strings, view: RequestView): CardElement {
  return facts([
    [strings.stageLabel, stageName(strings, view.state)],
    [strings.reasonFact, reasonText(strings, view.reason)],
    [strings.keyClassFact, view.keyClass],
    [strings.requestedAtFact, when(view.requestedAt)],
    [
      strings.approverFact,
      view.decidedBy
        ? personName(view.decidedBy)
        : view.approvers.map(personName).join(', ') || undefined,
    ],
    [
      strings.trackingFact,
      view.trackingNumber
        ? `${view.carrier ? `${view.carrier} ` : ''}${view.trackingNumber}`
        : undefined,
    ],
    [strings.outcomeFact, view.outcomeMessage ?? view.outcome],
  ]);
}

/** What the requester may do next, as buttons (the same rules the API enforces). */
export function requesterActions(
  strings: Strings,
  view: RequestView,
  tabUrl: string,
): CardAction[] {
  const data = { requestId: view.requestId };
  const actions: CardAction[] = [];
  const track = trackingLink(view.carrier, view.trackingNumber);
  if (track && !view.deliveryConfirmed) {
    actions.push({ type: 'Action.OpenUrl', title: strings.trackParcel, url: track });
  }
  for (const action of view.actions) {
    if (action === RequestAction.ConfirmDelivery) {
      actions.push(execute(strings.confirmDelivery, BotVerb.ShowDelivery, data));
    } else if (action === RequestAction.RevealPin) {
      actions.push({ type: 'Action.OpenUrl', title: strings.revealInTab, url: tabUrl });
    } else if (action === RequestAction.Cancel) {
      actions.push(execute(strings.cancelRequest, BotVerb.Cancel, data, { style: 'destructive' }));
    } else if (action === RequestAction.ReportLost) {
      actions.push(execute(strings.reportLost, BotVerb.ReportLost, data, { style: 'destructive' }));
    }
  }
  return actions;
}

/** One request with its stage timeline and the requester's buttons. */
export function requestStatusCard(
  strings: Strings,
  view: RequestView,
  tabUrl: string,
  lead?: string,
): AdaptiveCard {
  return adaptiveCard(
    [
      heading(say(strings, 'requestTitle', { requestId: view.requestId })),
      ...(lead ? [paragraph(lead)] : []),
      stageTimeline(strings, view.state),
      requestFacts(strings, view),
    ],
    [
      ...requesterActions(strings, view, tabUrl),
      execute(strings.refresh, BotVerb.RefreshStatus, { requestId: view.requestId }),
    ],
  );
}

/** "My requests": newest first, each with its stage; the open one's buttons on the card. */
export function myRequestsCard(
  strings: Strings,
  views: RequestView[],
  tabUrl: string,
): AdaptiveCard {
  if (views.length === 0) {
    return adaptiveCard(
      [heading(strings.myRequestsTitle), paragraph(strings.noRequests)],
      [execute(strings.requestFormTitle, BotVerb.ShowRequestForm, {})],
    );
  }
  const body: CardElement[] = [heading(strings.myRequestsTitle)];
  for (const view of views.slice(0, 10)) {
    body.push({
      type: 'Container',
      separator: true,
      items: [
        paragraph(`**${say(strings, 'requestTitle', { requestId: view.requestId })}**`),
        requestFacts(strings, view),
      ],
    });
  }
  const current = views.find((view) => view.actions.length > 0);
  return adaptiveCard(body, [
    ...(current ? requesterActions(strings, current, tabUrl) : []),
    { type: 'Action.OpenUrl', title: strings.openTab, url: tabUrl },
  ]);
}
