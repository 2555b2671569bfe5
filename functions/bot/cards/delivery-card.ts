import type { RequestView } from '../../../core/request/request-view.ts';
import { say, type Strings } from '../bot-strings.ts';
import { BotVerb } from '../bot-verbs.ts';
import { trackingLink } from './tracking-link.ts';
import {
  adaptiveCard,
  execute,
  heading,
  paragraph,
  type AdaptiveCard,
  type CardAction,
} from './adaptive-card.ts';

/**
 * Asks for the last digits of the serial printed on the key: proof that the key reached the
 * requester, before the PIN can be revealed (in the tab, never in the chat).
 */
export function deliveryCard(
  strings: Strings,
  view: RequestView,
  problem?: string,
  lead?: string,
): AdaptiveCard {
  return adaptiveCard(
    [
      heading(strings.deliveryTitle),
      ...(lead ? [paragraph(lead)] : []),
      paragraph(say(strings, 'deliveryIntro', { requestId: view.requestId })),
      ...(problem ? [paragraph(problem, { color: 'Attention' })] : []),
      {
        type: 'Input.Text',
        id: 'serialLastDigits',
        label: strings.serialLabel,
        isRequired: true,
        regex: '^\\d{4,12}$',
        errorMessage: strings.serialInvalid,
        maxLength: 12,
        style: 'Tel',
      },
    ],
    [
      execute(
        strings.confirmDelivery,
        BotVerb.ConfirmDelivery,
        { requestId: view.requestId },
        { style: 'positive' },
      ),
      ...trackingAction(strings, view),
    ],
  );
}

function trackingAction(strings: Strings, view: RequestView): CardAction[] {
  const url = trackingLink(view.carrier, view.trackingNumber);
  return url ? [{ type: 'Action.OpenUrl', title: strings.trackParcel, url }] : [];
}

/** After the serial matched: the PIN waits in the tab. */
export function deliveryConfirmedCard(
  strings: Strings,
  view: RequestView,
  tabUrl: string,
): AdaptiveCard {
  return adaptiveCard(
    [
      heading(say(strings, 'requestTitle', { requestId: view.requestId })),
      paragraph(strings.deliveryConfirmed, { color: 'Good' }),
    ],
    [{ type: 'Action.OpenUrl', title: strings.revealInTab, url: tabUrl }],
  );
}
