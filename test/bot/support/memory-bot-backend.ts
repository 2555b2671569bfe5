/* eslint-disable @typescript-eslint/require-await -- in-memory stand-ins for an async interface */
import { randomUUID } from 'node:crypto';
import { RequestReason, RequestState } from '../../../core/request/request-state.ts';
import type {
  BotBackend,
  BotRefusal,
  BotUser,
  DeliveryOutcome,
} from '../../../functions/bot/bot-backend.ts';
import type { ApprovalDecisionView } from '../../../functions/bot/cards/approval-card.ts';
import { isFinished, type RequestSummary } from '../../../functions/store/request-index.ts';
import type { DecisionClaim } from '../../../functions/store/approval-decision-claim.ts';
import { ownRequestId } from '../../../functions/workflow/scoped-request-id.ts';
import type { OwnRequestStart } from '../../../functions/workflow/start-own-request.ts';

export const EMPLOYEE = { id: '74d50326-ba14-4319-ac27-15d63260d1ba', displayName: 'Maja Lind' };
export const MANAGER = { id: '78e3ba99-1288-4b2f-8e04-b1cb1e31e884', displayName: 'Lars Eriksson' };
export const STRANGER = { id: '3b7853e4-0d72-41a7-99ca-8b25e9c49c0d', displayName: 'Jonas Keller' };

/**
 * The bot's backend as a plain in-memory request store, for the handler tests: it keeps what
 * the bot asked for (events, refusals) so tests can check what reached the workflow. The real
 * backend is exercised end to end through the local stack.
 */
export class MemoryBotBackend implements BotBackend {
  readonly keyClasses = ['Software key (local)', 'YubiKey 5 Series'];
  readonly defaultKeyClass = 'YubiKey 5 Series';
  readonly tabUrl = 'https://teams.example/tab';
  readonly summaries = new Map<string, RequestSummary>();
  readonly events: { kind: string; requestId: string; by: string; detail?: unknown }[] = [];
  readonly refusals: BotRefusal[] = [];
  readonly decisions = new Map<string, ApprovalDecisionView>();
  serial = 12345678;

  async shipToOf(userId: string) {
    return userId === EMPLOYEE.id ? 'Maja Lind\nStortorget 1\n211 22 Malmö' : undefined;
  }

  async requestsOf(userId: string) {
    return [...this.summaries.values()].filter((s) => s.requester.id === userId);
  }

  async find(requestId: string) {
    return this.summaries.get(requestId);
  }

  async startRequest(request: Parameters<BotBackend['startRequest']>[0]): Promise<OwnRequestStart> {
    // The id is minted as the service mints it: from the person and their form's id.
    const requestId = ownRequestId(request.requester.id, request.idempotencyKey ?? randomUUID());
    if (this.summaries.has(requestId)) return { outcome: 'already-started', requestId };
    const open = [...this.summaries.values()].find(
      (s) =>
        s.requester.id === request.requester.id &&
        !isFinished(s) &&
        s.state !== RequestState.PinReleased,
    );
    if (open)
      return { outcome: 'open-request-exists', holder: open.requestId, holderState: open.state };
    this.add(requestId, RequestState.AwaitingApproval, request.requester, request.reason);
    this.events.push({
      kind: 'start',
      requestId,
      by: request.requester.id,
      detail: request,
    });
    return { outcome: 'started', requestId };
  }

  add(
    requestId: string,
    state: RequestState,
    requester: BotUser = EMPLOYEE,
    reason: RequestReason = RequestReason.NewHire,
  ) {
    const summary: RequestSummary = {
      requestId,
      instanceId: `courier-request-${requestId}`,
      jobId: `job-${requestId}`,
      requester,
      reason,
      keyClass: { name: 'YubiKey 5 Series', allowedAaguids: [], minimumFirmware: '5.7.0' },
      requestedAt: '2026-12-01T08:30:00.000Z',
      state,
      step: 1,
      updatedAt: '2026-12-01T08:30:00.000Z',
      approvers: [MANAGER],
      ...(state === RequestState.Shipped ? { serial: this.serial, methodId: 'm1' } : {}),
    };
    this.summaries.set(requestId, summary);
    return summary;
  }

  async decide(
    summary: RequestSummary,
    approver: BotUser,
    approved: boolean,
    comment?: string,
  ): Promise<DecisionClaim> {
    // The same one-decision rule as the store's ETag-guarded claim.
    const earlier = this.decisions.get(summary.requestId);
    if (earlier) return { outcome: 'already-decided', earlier: { ...earlier, by: earlier.by } };
    const at = new Date().toISOString();
    this.decisions.set(summary.requestId, {
      approved,
      by: approver,
      at,
      ...(comment ? { comment } : {}),
    });
    this.events.push({
      kind: approved ? 'approve' : 'reject',
      requestId: summary.requestId,
      by: approver.id,
      detail: comment,
    });
    return { outcome: 'claimed' };
  }

  async cancel(summary: RequestSummary, by: BotUser) {
    this.events.push({ kind: 'cancel', requestId: summary.requestId, by: by.id });
  }

  async reportLost(summary: RequestSummary, by: BotUser) {
    this.events.push({ kind: 'lost', requestId: summary.requestId, by: by.id });
  }

  async confirmDelivery(
    summary: RequestSummary,
    digits: string,
    by: BotUser,
  ): Promise<DeliveryOutcome> {
    if (!String(summary.serial).endsWith(digits)) return { kind: 'mismatch', triesLeft: 4 };
    this.summaries.set(summary.requestId, {
      ...summary,
      deliveryConfirmedAt: new Date().toISOString(),
    });
    this.events.push({ kind: 'delivered', requestId: summary.requestId, by: by.id });
    return { kind: 'confirmed' };
  }

  async decisionOf(requestId: string) {
    return this.decisions.get(requestId);
  }

  async teamsUserIdsOf(userIds: readonly string[]) {
    return userIds.map((id) => `29:${id}`);
  }

  async recordRefusal(refusal: BotRefusal) {
    this.refusals.push(refusal);
  }
}
