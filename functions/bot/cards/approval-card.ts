import type { RequestView } from '../../../core/request/request-view.ts';
import { RequestState } from '../../../core/request/request-state.ts';
import { say, type Strings } from '../bot-strings.ts';
import { BotVerb } from '../bot-verbs.ts';
import {
  adaptiveCard,
  execute,
  facts,
  heading,
  paragraph,
  when,
  type AdaptiveCard,
  type CardElement,
} from './adaptive-card.ts';
import { personName, reasonText } from './request-status-card.ts';
import { stageName } from './stage-timeline.ts';

/** An approver's decision, as the card shows it to everyone afterwards. */
export interface ApprovalDecisionView {
  approved: boolean;
  by: { id: string; displayName?: string };
  at: string;
  comment?: string;
}

/** What happened to the request besides a decision, for the card of the approver who missed it. */
export type ApprovalEnding = 'expired' | 'escalated' | 'cancelled';

export interface ApprovalCardOptions {
  /** `approver` gets the buttons; everyone else the read-only view. */
  viewer: 'approver' | 'observer';
  decision?: ApprovalDecisionView;
  ending?: { kind: ApprovalEnding; at: string };
  /** Teams user ids (MRIs) of the approvers: only they get a personal, actionable refresh. */
  approverUserIds: string[];
}

/**
 * The approval card (Universal Actions). The message in the chat is the read-only view;
 * `refresh.userIds` makes Teams ask the bot for a personal view when an approver opens it, and
 * only then are the buttons shown. After a decision every view shows who decided and when.
 */
export function approvalCard(
  strings: Strings,
  view: RequestView,
  options: ApprovalCardOptions,
): AdaptiveCard {
  const name = personName(view.requester);
  const body: CardElement[] = [
    heading(say(strings, 'approvalTitle', { name })),
    paragraph(say(strings, 'approvalIntro', { name })),
    facts([
      [strings.requesterFact, name],
      [strings.reasonFact, reasonText(strings, view.reason)],
      [strings.keyClassFact, view.keyClass],
      [strings.noteFact, view.note],
      [strings.requestedAtFact, when(view.requestedAt)],
      [strings.deadlineFact, view.approvalDeadline ? when(view.approvalDeadline) : undefined],
    ]),
  ];
  const { decision, ending } = options;
  const data = { requestId: view.requestId };
  if (decision) {
    body.push(
      paragraph(
        say(strings, decision.approved ? 'approvedBy' : 'rejectedBy', {
          name: personName(decision.by),
          at: when(decision.at),
        }),
        { color: decision.approved ? 'Good' : 'Attention' },
      ),
      ...(decision.comment ? [facts([[strings.commentFact, decision.comment]])] : []),
    );
    return adaptiveCard(body);
  }
  if (ending) {
    const key =
      ending.kind === 'expired'
        ? 'expiredView'
        : ending.kind === 'escalated'
          ? 'escalatedView'
          : 'cancelledView';
    body.push(paragraph(say(strings, key, { at: when(ending.at) }), { subtle: true }));
    return adaptiveCard(body);
  }
  if (view.state !== RequestState.AwaitingApproval) {
    body.push(
      paragraph(say(strings, 'notPending', { stage: stageName(strings, view.state) }), {
        subtle: true,
      }),
    );
    return adaptiveCard(body);
  }
  const refresh = {
    action: execute(strings.refresh, BotVerb.RefreshApproval, data),
    userIds: options.approverUserIds.slice(0, 60),
  };
  if (options.viewer === 'observer') {
    body.push(
      paragraph(
        say(strings, 'approvalReadOnly', {
          approvers: view.approvers.map(personName).join(', '),
        }),
        { subtle: true },
      ),
    );
    return adaptiveCard(body, [], refresh);
  }
  body.push({
    type: 'Input.Text',
    id: 'comment',
    label: strings.commentLabel,
    isMultiline: true,
    maxLength: 500,
  });
  return adaptiveCard(
    body,
    [
      execute(strings.approve, BotVerb.Approve, data, { style: 'positive' }),
      execute(strings.reject, BotVerb.Reject, data, { style: 'destructive' }),
    ],
    refresh,
  );
}
