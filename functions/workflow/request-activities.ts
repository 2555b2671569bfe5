import type { RegistrationOutcome } from '../../core/station-api/station-api-schemas.ts';
import type { KeyClass } from '../../core/request/key-class.ts';
import type { RequestState } from '../../core/request/request-state.ts';
import type { ActorKind } from '../store/audit-record.ts';
import type { Approver, ApproverChoice } from './choose-approvers.ts';
import type { RegistrationSubmitted } from './request-events.ts';
import type { Actor, RequestInput } from './request-input.ts';
import { activityContract, type ActivityContract } from './activity-contract.ts';

/**
 * The activities a request's orchestration calls: one typed table of name, input and result,
 * which drives both the registrations (register-workflow.ts) and the orchestrator's calls. Names
 * carry a version: a changed contract gets a new name, so in-flight histories still replay.
 */
export interface RequestActivityIO {
  ResolveApprovers: { input: ResolveApproversInput; output: ResolveApproversResult };
  FallbackApprovers: { input: FallbackApproversInput; output: FallbackApproversResult };
  Record: { input: RecordInput; output: void };
  EnqueueJob: { input: EnqueueJobInput; output: void };
  PrefetchOptions: { input: PrefetchOptionsInput; output: PrefetchOptionsResult };
  Register: { input: RegisterInput; output: RegisterResult };
  SettleJob: { input: SettleJobInput; output: void };
  Revoke: { input: RevokeInput; output: RevokeResult };
}

export type RequestActivityKey = keyof RequestActivityIO;

export const requestActivities: {
  readonly [K in RequestActivityKey]: ActivityContract<
    RequestActivityIO[K]['input'],
    RequestActivityIO[K]['output']
  >;
} = {
  ResolveApprovers: activityContract('courier-v1-resolve-approvers'),
  FallbackApprovers: activityContract('courier-v1-fallback-approvers'),
  Record: activityContract('courier-v1-record'),
  EnqueueJob: activityContract('courier-v1-enqueue-job'),
  PrefetchOptions: activityContract('courier-v1-prefetch-options'),
  Register: activityContract('courier-v1-register'),
  SettleJob: activityContract('courier-v1-settle-job'),
  Revoke: activityContract('courier-v1-revoke'),
};

/** The registered names alone, by key (what tests and the durable history show). */
export const RequestActivity = Object.fromEntries(
  Object.entries(requestActivities).map(([key, contract]) => [key, contract.name]),
) as { readonly [K in RequestActivityKey]: string };

export interface ResolveApproversInput {
  requesterId: string;
  fallbackGroupId: string;
}
export type ResolveApproversResult = ApproverChoice;

export interface FallbackApproversInput {
  requesterId: string;
  fallbackGroupId: string;
}
export type FallbackApproversResult = Approver[];

/** Who is told about a transition; the record activity turns these into outbox messages. */
export type Audience = 'requester' | 'approvers' | 'it';

export interface NotificationRequest {
  audience: Audience;
  /** What happened, for the bot's message text: 'approval-requested', 'reminder', 'shipped'… */
  kind: string;
}

/** One transition, written to the audit trail and the request index, and maybe announced. */
export interface RecordInput {
  requestId: string;
  /** Counts up per request: together with requestId it makes the write idempotent. */
  step: number;
  state: RequestState;
  /** What happened: 'requested', 'approved', 'reminded', 'registered', 'revoked'… */
  event: string;
  at: string;
  /** The state before this transition (absent for the first). */
  from?: RequestState;
  actor?: Actor;
  /** What the actor is, for the audit trail; 'system' when no actor is named. */
  actorKind?: ActorKind;
  /** Set on the first record: what the request index needs to list and authorise. */
  request?: Pick<
    RequestInput,
    'requester' | 'reason' | 'keyClass' | 'requestedAt' | 'note' | 'replaces'
  > & { jobId: string };
  approvers?: Approver[];
  details?: TransitionDetails;
  notify?: NotificationRequest[];
}

export interface TransitionDetails {
  approverSource?: string;
  approver?: Actor;
  stationId?: string;
  operator?: Actor;
  attempt?: number;
  serial?: number;
  aaguid?: string;
  credentialId?: string;
  methodId?: string;
  graphRequestId?: string;
  carrier?: string;
  trackingNumber?: string;
  reason?: string;
  message?: string;
  deadline?: string;
}

export interface EnqueueJobInput {
  jobId: string;
  requestId: string;
  keyClass: KeyClass;
  recipient: Actor;
  shippingAddress?: string;
  approvedAt: string;
  /**
   * Set when a registered key is being redone (its station was lost, or the key failed after
   * registration, and the credential was deleted): the held job goes back to the queue.
   */
  requeue?: { leaseId: string };
}

export interface PrefetchOptionsInput {
  jobId: string;
  userId: string;
}

export interface PrefetchOptionsResult {
  prefetched: boolean;
  reason?: string;
}

export interface RegisterInput {
  requestId: string;
  jobId: string;
  userId: string;
  allowedAaguids: string[];
  submission: RegistrationSubmitted;
}

/** The registration outcome, with what the audit trail keeps. */
export type RegisterResult = RegistrationOutcome & {
  graphRequestId?: string;
  /** True when the POST's fate was unknown and the method was found by listing. */
  reconciled?: boolean;
};

export type SettleJobInput =
  | { jobId: string; action: 'outcome'; attempt: number; outcome: RegistrationOutcome }
  | { jobId: string; action: 'close'; reason: string };

export interface RevokeInput {
  requestId: string;
  jobId: string;
  userId: string;
  methodId: string;
}

export interface RevokeResult {
  result: 'deleted' | 'already-gone';
  graphRequestId?: string;
}
