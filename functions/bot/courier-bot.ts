import { randomUUID } from 'node:crypto';
import { RequestState, TERMINAL_STATES } from '../../core/request/request-state.ts';
import { RequestAction } from '../../core/request/request-view.ts';
import { toRequestView } from '../api/to-request-view.ts';
import type { RequestSummary } from '../store/request-index.ts';
import { approvalAuthority } from './approval-authority.ts';
import type { BotBackend, BotUser } from './bot-backend.ts';
import { BotCommand, parseCommand } from './bot-command.ts';
import { say, stringsFor, type Strings } from './bot-strings.ts';
import { BotVerb } from './bot-verbs.ts';
import type { AdaptiveCard } from './cards/adaptive-card.ts';
import { approvalCard } from './cards/approval-card.ts';
import { deliveryCard, deliveryConfirmedCard } from './cards/delivery-card.ts';
import { requestFormCard, type RequestFormValues } from './cards/request-form-card.ts';
import { myRequestsCard, personName, requestStatusCard } from './cards/request-status-card.ts';
import { stageName } from './cards/stage-timeline.ts';
import { welcomeCard } from './cards/welcome-card.ts';
import { readRequestForm } from './request-form.ts';

/** Who is talking, as the channel vouched for them (the adapter validated the activity). */
export interface BotTurn {
  /** Undefined when the activity carries no Entra object id (not a Teams user). */
  user: BotUser | undefined;
  locale?: string;
}

export type BotReply = { text: string } | { card: AdaptiveCard };

/**
 * The answer to a card button (an `Action.Execute` invoke): a card that replaces the one
 * clicked (for the clicker, or for everyone in the chat), or a message Teams shows beside it.
 */
export type ActionAnswer = { card: AdaptiveCard; forEveryone?: boolean } | { message: string };

/** Requests that can still get a key: a second one is refused. */
function isOpen(summary: RequestSummary): boolean {
  return !TERMINAL_STATES.has(summary.state) && summary.state !== RequestState.PinReleased;
}

/**
 * Every decision the bot makes, free of any bot SDK: commands, the request form, approvals,
 * delivery confirmation. The adapter layer (`teams/`) turns activities into these calls and
 * their answers back into activities.
 */
export class CourierBot {
  private readonly backend: BotBackend;

  constructor(backend: BotBackend) {
    this.backend = backend;
  }

  welcome(turn: BotTurn): BotReply[] {
    return [{ card: welcomeCard(stringsFor(turn.locale), turn.user?.displayName ?? '') }];
  }

  async onMessage(text: string | undefined, turn: BotTurn): Promise<BotReply[]> {
    const strings = stringsFor(turn.locale);
    const command = parseCommand(text);
    const user = turn.user;
    if (!user || command === undefined || command === BotCommand.Help) {
      const help: BotReply[] = [{ card: welcomeCard(strings, undefined) }];
      return command === undefined && text?.trim()
        ? [{ text: say(strings, 'unknownCommand', { text: text.trim().slice(0, 80) }) }, ...help]
        : help;
    }
    switch (command) {
      case BotCommand.RequestKey:
        return [await this.requestForm(strings, user)];
      case BotCommand.MyRequests:
        return [{ card: await this.myRequests(strings, user) }];
      case BotCommand.Cancel: {
        const open = (await this.backend.requestsOf(user.id)).find((s) =>
          toRequestView(s, user.id).actions.includes(RequestAction.Cancel),
        );
        if (!open) return [{ text: strings.nothingToCancel }];
        await this.backend.cancel(open, user);
        return [{ text: say(strings, 'cancelling', { requestId: open.requestId }) }];
      }
      case BotCommand.ReportLost: {
        const held = (await this.backend.requestsOf(user.id)).find((s) =>
          toRequestView(s, user.id).actions.includes(RequestAction.ReportLost),
        );
        if (!held) return [{ text: strings.nothingLost }];
        await this.backend.reportLost(held, user);
        return [{ text: say(strings, 'lostReported', { requestId: held.requestId }) }];
      }
    }
  }

  async onAction(
    verb: string,
    data: Record<string, unknown>,
    turn: BotTurn,
  ): Promise<ActionAnswer> {
    const strings = stringsFor(turn.locale);
    const user = turn.user;
    if (!user) return { message: strings.help };
    switch (verb) {
      case BotVerb.ShowRequestForm: {
        const reply = await this.requestForm(strings, user);
        return 'card' in reply ? { card: reply.card } : { message: reply.text };
      }
      case BotVerb.SubmitRequest:
        return this.submitRequest(strings, user, data);
      case BotVerb.MyRequests:
        return { card: await this.myRequests(strings, user) };
      case BotVerb.Approve:
      case BotVerb.Reject:
        return this.decide(strings, user, data, verb === BotVerb.Approve);
      case BotVerb.RefreshApproval:
        return this.approvalView(strings, user, data);
    }
    // The rest act on one of the requester's own requests.
    const summary = await this.findRequest(data);
    if (!summary || summary.requester.id.toLowerCase() !== user.id.toLowerCase()) {
      return { message: say(strings, 'requestNotFound', { requestId: String(data.requestId) }) };
    }
    const view = toRequestView(summary, user.id);
    const tab = this.backend.tabUrl;
    switch (verb) {
      case BotVerb.RefreshStatus:
        return { card: requestStatusCard(strings, view, tab) };
      case BotVerb.Cancel:
        if (!view.actions.includes(RequestAction.Cancel)) break;
        await this.backend.cancel(summary, user);
        return {
          card: requestStatusCard(
            strings,
            { ...view, actions: [] },
            tab,
            say(strings, 'cancelling', { requestId: summary.requestId }),
          ),
        };
      case BotVerb.ReportLost:
        if (!view.actions.includes(RequestAction.ReportLost)) break;
        await this.backend.reportLost(summary, user);
        return {
          card: requestStatusCard(
            strings,
            { ...view, actions: [] },
            tab,
            say(strings, 'lostReported', { requestId: summary.requestId }),
          ),
        };
      case BotVerb.ShowDelivery:
        if (!view.actions.includes(RequestAction.ConfirmDelivery)) break;
        return { card: deliveryCard(strings, view) };
      case BotVerb.ConfirmDelivery:
        return this.confirmDelivery(strings, user, summary, data);
      default:
        return { message: strings.help };
    }
    return {
      message: say(strings, 'notPending', { stage: stageName(strings, summary.state) }),
    };
  }

  private async requestForm(strings: Strings, user: BotUser): Promise<BotReply> {
    const open = (await this.backend.requestsOf(user.id)).find(isOpen);
    if (open) {
      return {
        text: say(strings, 'openRequestExists', {
          requestId: open.requestId,
          stage: stageName(strings, open.state),
        }),
      };
    }
    const shipTo = await this.backend.shipToOf(user.id);
    return { card: this.formCard(strings, shipTo ? { shipTo } : {}) };
  }

  private formCard(strings: Strings, values: RequestFormValues, problems?: string[]) {
    return requestFormCard(strings, {
      keyClasses: [...this.backend.keyClasses],
      defaultKeyClass: this.backend.defaultKeyClass,
      values,
      formId: randomUUID(),
      ...(problems ? { problems } : {}),
    });
  }

  private async submitRequest(
    strings: Strings,
    user: BotUser,
    data: Record<string, unknown>,
  ): Promise<ActionAnswer> {
    const form = readRequestForm(
      data,
      this.backend.keyClasses,
      this.backend.defaultKeyClass,
      strings,
    );
    if (!form.ok) {
      const values = Object.fromEntries(
        ['reason', 'keyClass', 'shipTo', 'note'].flatMap((key) =>
          typeof data[key] === 'string' ? [[key, data[key]]] : [],
        ),
      );
      return { card: this.formCard(strings, values, form.problems) };
    }
    // The form's id is the idempotency key: a second click on the same form finds the first
    // request (the service mints the request's id from it and the person).
    const idempotencyKey =
      typeof data.formId === 'string' && /^[A-Za-z0-9-]{8,64}$/.test(data.formId)
        ? data.formId
        : undefined;
    const start = await this.backend.startRequest({
      ...(idempotencyKey ? { idempotencyKey } : {}),
      requester: user,
      ...form.value,
    });
    if (start.outcome === 'open-request-exists') {
      // The requester's one open slot is taken (claimed atomically, whoever asked first).
      const holder = await this.backend.find(start.holder);
      return {
        message: say(strings, 'openRequestExists', {
          requestId: start.holder,
          stage: holder
            ? stageName(strings, holder.state)
            : stageName(strings, RequestState.Requested),
        }),
      };
    }
    const { requestId } = start;
    const summary = await this.backend.find(requestId);
    const view = summary
      ? toRequestView(summary, user.id)
      : {
          requestId,
          state: RequestState.Requested,
          reason: form.value.reason,
          keyClass: form.value.keyClass,
          requestedAt: new Date().toISOString(),
          updatedAt: new Date().toISOString(),
          requester: user,
          approvers: [],
          deliveryConfirmed: false,
          pinReleased: false,
          actions: [RequestAction.Cancel],
        };
    const approver = view.approvers.map(personName).join(', ');
    return {
      card: requestStatusCard(
        strings,
        view,
        this.backend.tabUrl,
        approver
          ? say(strings, 'requestSent', { requestId, approver })
          : say(strings, 'requestSentNoApprover', { requestId }),
      ),
    };
  }

  private async myRequests(strings: Strings, user: BotUser): Promise<AdaptiveCard> {
    const mine = await this.backend.requestsOf(user.id);
    return myRequestsCard(
      strings,
      mine.map((s) => toRequestView(s, user.id)),
      this.backend.tabUrl,
    );
  }

  private async findRequest(data: Record<string, unknown>) {
    const id = data.requestId;
    if (typeof id !== 'string' || !/^[A-Za-z0-9-]{8,64}$/.test(id)) return undefined;
    return this.backend.find(id);
  }

  /** The card as `user` should see it now: decided, actionable (approvers) or read-only. */
  private async approvalView(
    strings: Strings,
    user: BotUser,
    data: Record<string, unknown>,
  ): Promise<ActionAnswer> {
    const summary = await this.findRequest(data);
    if (!summary) {
      return { message: say(strings, 'requestNotFound', { requestId: String(data.requestId) }) };
    }
    return { card: await this.approvalCardFor(strings, summary, user) };
  }

  async approvalCardFor(
    strings: Strings,
    summary: RequestSummary,
    user: BotUser | undefined,
  ): Promise<AdaptiveCard> {
    const decision = await this.backend.decisionOf(summary.requestId);
    const view = toRequestView(summary, user?.id ?? '');
    const approverUserIds = await this.backend.teamsUserIdsOf(summary.approvers.map((a) => a.id));
    const allowed = approvalAuthority(summary, user?.id).ok;
    return approvalCard(strings, view, {
      viewer: allowed ? 'approver' : 'observer',
      approverUserIds,
      ...(decision ? { decision } : {}),
    });
  }

  private async decide(
    strings: Strings,
    user: BotUser,
    data: Record<string, unknown>,
    approved: boolean,
  ): Promise<ActionAnswer> {
    const summary = await this.findRequest(data);
    if (!summary) {
      return { message: say(strings, 'requestNotFound', { requestId: String(data.requestId) }) };
    }
    // A second click, or a click on a card decided elsewhere: show what was decided.
    const earlier = await this.backend.decisionOf(summary.requestId);
    if (earlier)
      return { card: await this.approvalCardFor(strings, summary, user), forEveryone: true };
    const authority = approvalAuthority(summary, user.id);
    if (!authority.ok) {
      const message =
        authority.refusal === 'self-approval'
          ? strings.selfApproval
          : authority.refusal === 'not-pending'
            ? say(strings, 'notPending', { stage: stageName(strings, summary.state) })
            : say(strings, 'notTheApprover', {
                approvers: summary.approvers.map(personName).join(', '),
              });
      if (authority.refusal !== 'not-pending') {
        await this.backend.recordRefusal({
          reason: authority.refusal,
          message,
          actor: user,
          requestId: summary.requestId,
          state: summary.state,
        });
      }
      return { message };
    }
    const comment =
      typeof data.comment === 'string' && data.comment.trim()
        ? data.comment.trim().slice(0, 500)
        : undefined;
    const claim = await this.backend.decide(summary, user, approved, comment);
    if (claim.outcome === 'already-decided') {
      // Another approver (or this one's first click) won: everyone sees that decision.
      return { card: await this.approvalCardFor(strings, summary, user), forEveryone: true };
    }
    if (claim.outcome === 'not-awaiting') {
      return { message: say(strings, 'notPending', { stage: stageName(strings, claim.state) }) };
    }
    const view = toRequestView(summary, user.id);
    return {
      card: approvalCard(strings, view, {
        viewer: 'observer',
        approverUserIds: [],
        decision: {
          approved,
          by: user,
          at: new Date().toISOString(),
          ...(comment ? { comment } : {}),
        },
      }),
      forEveryone: true,
    };
  }

  private async confirmDelivery(
    strings: Strings,
    user: BotUser,
    summary: RequestSummary,
    data: Record<string, unknown>,
  ): Promise<ActionAnswer> {
    const view = toRequestView(summary, user.id);
    if (view.deliveryConfirmed) {
      return { card: deliveryConfirmedCard(strings, view, this.backend.tabUrl) };
    }
    if (!view.actions.includes(RequestAction.ConfirmDelivery)) {
      return { message: say(strings, 'notPending', { stage: stageName(strings, summary.state) }) };
    }
    const digits = typeof data.serialLastDigits === 'string' ? data.serialLastDigits.trim() : '';
    if (!/^\d{4,12}$/.test(digits)) {
      return { card: deliveryCard(strings, view, strings.serialInvalid) };
    }
    const outcome = await this.backend.confirmDelivery(summary, digits, user);
    if (outcome.kind === 'confirmed') {
      return { card: deliveryConfirmedCard(strings, view, this.backend.tabUrl) };
    }
    if (outcome.kind === 'locked')
      return { card: deliveryCard(strings, view, strings.deliveryLocked) };
    return {
      card: deliveryCard(
        strings,
        view,
        say(strings, 'serialMismatch', { left: outcome.triesLeft }),
      ),
    };
  }
}
