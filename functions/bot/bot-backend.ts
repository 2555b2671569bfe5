import type { DecisionClaim } from '../store/approval-decision-claim.ts';
import type { OwnRequestStart } from '../workflow/start-own-request.ts';
import type { RequestReason, RequestState } from '../../core/request/request-state.ts';
import type { RequestSummary } from '../store/request-index.ts';
import type { ApprovalDecisionView } from './cards/approval-card.ts';

/** A person the bot talks to, by Entra object id (Teams' `from.aadObjectId`). */
export interface BotUser {
  id: string;
  displayName?: string;
}

export type DeliveryOutcome =
  { kind: 'confirmed' } | { kind: 'mismatch'; triesLeft: number } | { kind: 'locked' };

/** A refusal the bot answers with a message, and records. */
export interface BotRefusal {
  reason: string;
  message: string;
  actor: BotUser | undefined;
  requestId?: string;
  state?: RequestState;
}

/**
 * What the bot's decisions need from the rest of the app: the request index, the audit trail,
 * the durable client and Graph, behind one narrow interface. The Functions implementation
 * (`services-bot-backend.ts`) uses the same stores and events as the HTTP API.
 */
export interface BotBackend {
  readonly keyClasses: readonly string[];
  readonly defaultKeyClass: string;
  /** Deep link to the personal tab (where the PIN is revealed). */
  readonly tabUrl: string;
  /** The Graph profile's office address, to prefill the ship-to field. */
  shipToOf(userId: string): Promise<string | undefined>;
  requestsOf(userId: string): Promise<RequestSummary[]>;
  find(requestId: string): Promise<RequestSummary | undefined>;
  startRequest(request: {
    /** The form's id: the same form sent twice finds the same request. */
    idempotencyKey?: string;
    requester: BotUser;
    reason: RequestReason;
    keyClass: string;
    shippingAddress: string;
    note?: string;
  }): Promise<OwnRequestStart>;
  /** Claims the one decision first (as the HTTP API does); only a won claim reaches the workflow. */
  decide(
    summary: RequestSummary,
    approver: BotUser,
    approved: boolean,
    comment?: string,
  ): Promise<DecisionClaim>;
  cancel(summary: RequestSummary, by: BotUser): Promise<void>;
  reportLost(summary: RequestSummary, by: BotUser): Promise<void>;
  confirmDelivery(
    summary: RequestSummary,
    serialLastDigits: string,
    by: BotUser,
  ): Promise<DeliveryOutcome>;
  /** The approver's decision, from the audit trail, once the workflow recorded it. */
  decisionOf(requestId: string): Promise<ApprovalDecisionView | undefined>;
  /** Teams user ids (MRIs) of people who have talked to the bot, for `refresh.userIds`. */
  teamsUserIdsOf(userIds: readonly string[]): Promise<string[]>;
  recordRefusal(refusal: BotRefusal): Promise<void>;
}
