import type { DurableClient } from 'durable-functions';
import type { CourierServices } from '../courier-services.ts';
import type { CourierLogger } from '../log/courier-logger.ts';
import { auditRefusal } from '../store/refusal-audit.ts';
import { confirmDeliveryStep } from '../store/delivery-confirmation.ts';
import type { RequestSummary } from '../store/request-index.ts';
import { reportLostKey } from '../workflow/report-lost-key.ts';
import { RequestEvent } from '../workflow/request-events.ts';
import { startOwnRequest } from '../workflow/start-own-request.ts';
import { decideApproval } from '../workflow/decide-approval.ts';
import { approvalDecisionOf } from './approval-decision-of.ts';
import type { BotBackend, BotRefusal, BotUser, DeliveryOutcome } from './bot-backend.ts';
import type { ApprovalDecisionView } from './cards/approval-card.ts';
import { shipToFromProfile } from './request-form.ts';
import type { BotRefusals } from './store/bot-refusals.ts';
import type { ConversationReferences } from './store/conversation-references.ts';

/**
 * The bot's backend in the functions app: the request index and audit trail for reading, the
 * durable client for telling a request's orchestration what people did — the same events the
 * HTTP API raises, validated again by the orchestration.
 */
export class ServicesBotBackend implements BotBackend {
  readonly keyClasses: readonly string[];
  readonly defaultKeyClass: string;
  readonly tabUrl: string;
  private readonly services: CourierServices;
  private readonly client: DurableClient;
  private readonly references: ConversationReferences;
  private readonly refusals: BotRefusals;
  private readonly log: CourierLogger;

  constructor(parts: {
    services: CourierServices;
    client: DurableClient;
    references: ConversationReferences;
    refusals: BotRefusals;
    tabUrl: string;
    log: CourierLogger;
  }) {
    this.services = parts.services;
    this.client = parts.client;
    this.references = parts.references;
    this.refusals = parts.refusals;
    this.tabUrl = parts.tabUrl;
    this.log = parts.log;
    this.keyClasses = parts.services.settings.keyClasses.map((k) => k.name);
    this.defaultKeyClass = parts.services.settings.defaultKeyClass;
  }

  async shipToOf(userId: string): Promise<string | undefined> {
    try {
      return shipToFromProfile(await this.services.graph.getUser(userId));
    } catch (error) {
      // Only a prefill: the person types the address instead.
      this.log.warn('profile-unavailable', { error });
      return undefined;
    }
  }

  requestsOf(userId: string): Promise<RequestSummary[]> {
    return this.services.requests.listForRequester(userId);
  }

  find(requestId: string): Promise<RequestSummary | undefined> {
    return this.services.requests.find(requestId);
  }

  async startRequest(request: Parameters<BotBackend['startRequest']>[0]) {
    const keyClass = this.services.settings.keyClasses.find((k) => k.name === request.keyClass);
    if (!keyClass) throw new Error(`Unknown key class ${request.keyClass}.`);
    return startOwnRequest(this.client, this.services, this.services.settings, {
      ...(request.idempotencyKey ? { idempotencyKey: request.idempotencyKey } : {}),
      requester: request.requester,
      reason: request.reason,
      keyClass,
      shippingAddress: request.shippingAddress,
      ...(request.note ? { note: request.note } : {}),
    });
  }

  decide(summary: RequestSummary, approver: BotUser, approved: boolean, comment?: string) {
    return decideApproval(
      this.client,
      this.services.requests,
      summary,
      { by: approver, approved, at: new Date().toISOString() },
      comment,
    );
  }

  async cancel(summary: RequestSummary, by: BotUser) {
    await this.client.raiseEvent(summary.instanceId, RequestEvent.Cancel, {
      by,
      at: new Date().toISOString(),
    });
  }

  reportLost(summary: RequestSummary, by: BotUser): Promise<void> {
    return reportLostKey(this.client, summary, by);
  }

  async confirmDelivery(
    summary: RequestSummary,
    serialLastDigits: string,
    by: BotUser,
  ): Promise<DeliveryOutcome> {
    const step = await confirmDeliveryStep(
      this.services.requests,
      summary.requestId,
      serialLastDigits,
    );
    if (step.kind !== 'confirmed') return step;
    await this.client.raiseEvent(summary.instanceId, RequestEvent.DeliveryConfirmed, {
      by,
      at: step.at,
    });
    return { kind: 'confirmed' };
  }

  async decisionOf(requestId: string): Promise<ApprovalDecisionView | undefined> {
    const recorded = await approvalDecisionOf(this.services.audit, requestId);
    if (recorded) return recorded;
    // Claimed but not yet recorded by the workflow: the claim is already final (the losing
    // click or API call is told so), so every card shows it from this moment on.
    const claimed = (await this.services.requests.find(requestId))?.decision;
    return claimed ? { approved: claimed.approved, by: claimed.by, at: claimed.at } : undefined;
  }

  async teamsUserIdsOf(userIds: readonly string[]): Promise<string[]> {
    const found = await Promise.all(userIds.map((id) => this.references.find(id)));
    return found.flatMap((entry) => (entry ? [entry.teamsUserId] : []));
  }

  async recordRefusal(refusal: BotRefusal): Promise<void> {
    const at = new Date().toISOString();
    this.log.warn('bot-refused', {
      reason: refusal.reason,
      requestId: refusal.requestId,
      actorId: refusal.actor?.id,
    });
    if (refusal.requestId && refusal.state) {
      await auditRefusal(this.services.audit, {
        requestId: refusal.requestId,
        state: refusal.state,
        actor: refusal.actor ?? { id: 'unknown' },
        actorKind: 'approver',
        reason: refusal.reason,
        detail: refusal.message,
      });
      return;
    }
    await this.refusals.append({
      at,
      reason: refusal.reason,
      detail: refusal.message,
      ...(refusal.actor ? { claimedFrom: refusal.actor.id } : {}),
    });
  }
}
