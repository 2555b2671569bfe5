import * as df from 'durable-functions';
import type { OrchestrationContext, Task } from 'durable-functions';
import { RequestState } from '../../core/request/request-state.ts';
import type { ActorKind } from '../store/audit-record.ts';
import { callActivity, type ActivityContract } from './activity-contract.ts';
import type { Approver } from './choose-approvers.ts';
import { arrivalOf, EventInbox, takeWaiting, type Arrival } from './event-inbox.ts';
import {
  requestActivities,
  type RecordInput,
  type RevokeResult,
  type SettleJobInput,
} from './request-activities.ts';
import { RequestEvent, requesterActionSchema } from './request-events.ts';
import { requestJobId, type RequestInput } from './request-input.ts';
import type { RequestStatus } from './request-status.ts';
import { MAX_TIMER_MS } from './workflow-policy.ts';

/**
 * The shared core of a request's orchestration: its state (audit step, custom status, approvers,
 * event inboxes) and the moves every stage makes (call an activity, record a transition, race
 * events against a deadline, revoke, end). The stages (approval-stage.ts, station-stage.ts,
 * delivery-stage.ts) are generator functions over one RequestFlow.
 */

/** What the orchestration returns when it ends. */
export interface RequestResult {
  state: RequestState;
  reason: string;
  methodId?: string;
}

export type Flow<T> = Generator<Task, T, unknown>;

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
/** What `raceUntil` returns when its deadline came first. */
export const TIMED_OUT = Symbol('timed out');

/** Graph and storage hiccups are retried with back-off, well past a throttling burst. */
function activityRetry(): df.RetryOptions {
  const retry = new df.RetryOptions(5_000, 6);
  retry.backoffCoefficient = 2;
  retry.maxRetryIntervalInMilliseconds = 5 * 60_000;
  return retry;
}

/** Who acts in each transition that names an actor (the audit trail's actor kind). */
const ACTOR_KINDS: Record<string, ActorKind> = {
  requested: 'requester',
  cancelled: 'requester',
  lost: 'requester',
  'delivery-confirmed': 'requester',
  'pin-released': 'requester',
  approved: 'approver',
  rejected: 'approver',
  'decision-refused': 'approver',
  'key-failed': 'operator',
  registered: 'operator',
  'registration-refused': 'operator',
  'pin-change-confirmed': 'operator',
  shipped: 'operator',
};

/** The fields of a transition a stage chooses (the core numbers and dates it). */
export type TransitionFields = Omit<Partial<RecordInput>, 'state' | 'event' | 'step' | 'requestId'>;

export class RequestFlow {
  readonly jobId: string;
  readonly status: RequestStatus;
  approvers: Approver[] = [];
  private step = 0;
  /** One inbox per event name, for the whole life of the request (see EventInbox). */
  private readonly inboxes: Record<RequestEvent, EventInbox>;

  readonly context: OrchestrationContext;
  readonly input: RequestInput;

  constructor(context: OrchestrationContext, input: RequestInput) {
    this.context = context;
    this.input = input;
    this.jobId = requestJobId(input.requestId);
    this.status = {
      requestId: input.requestId,
      state: RequestState.Requested,
      keyClass: input.keyClass.name,
      attempts: 0,
    };
    this.inboxes = Object.fromEntries(
      Object.values(RequestEvent).map((event) => [event, new EventInbox(context, event)]),
    ) as Record<RequestEvent, EventInbox>;
  }

  inbox(...events: RequestEvent[]): EventInbox[] {
    return events.map((event) => this.inboxes[event]);
  }

  now(): Date {
    return this.context.df.currentUtcDateTime;
  }

  /** An activity of the table, retried with back-off; its result is typed by its contract. */
  *call<I, O>(contract: ActivityContract<I, O>, input: I): Flow<O> {
    return yield* callActivity(this.context, contract, input, activityRetry());
  }

  /** An activity called once, for best-effort work whose failure changes nothing. */
  *callOnce<I, O>(contract: ActivityContract<I, O>, input: I): Flow<O> {
    return yield* callActivity(this.context, contract, input);
  }

  /** Waits for the first event of `inboxes` (an event already waiting is taken at once). */
  *race(inboxes: EventInbox[]): Flow<Arrival> {
    const waiting = takeWaiting(inboxes);
    if (waiting) return waiting;
    const waiters = inboxes.map((inbox) => inbox.fresh());
    return arrivalOf(inboxes, (yield this.context.df.Task.any(waiters)) as Task);
  }

  /**
   * Like `race`, or TIMED_OUT once durable time reaches `wakeAt`. No timer reaches further than
   * MAX_TIMER_MS: a longer wait is a chain of legs, each a fresh timer raced with fresh waiters.
   * A timer is cancelled when an event wins, since a task yielded once must not be yielded again
   * (Azure/azure-functions-durable-js#574) and a finished orchestration must leave no timer.
   */
  *raceUntil(inboxes: EventInbox[], wakeAt: number): Flow<Arrival | typeof TIMED_OUT> {
    for (;;) {
      const waiting = takeWaiting(inboxes);
      if (waiting) return waiting;
      const legEnd = Math.min(wakeAt, this.now().getTime() + MAX_TIMER_MS);
      const waiters = inboxes.map((inbox) => inbox.fresh());
      const timer = this.context.df.createTimer(new Date(legEnd));
      const winner = (yield this.context.df.Task.any([...waiters, timer])) as Task;
      if (winner === timer) {
        if (legEnd >= wakeAt) return TIMED_OUT;
        continue;
      }
      timer.cancel();
      return arrivalOf(inboxes, winner);
    }
  }

  /** Writes a transition (audit trail, request index, notifications) and the custom status. */
  *record(state: RequestState, event: string, fields: TransitionFields = {}): Flow<void> {
    const from = this.step === 0 ? undefined : this.status.state;
    this.status.state = state;
    this.step += 1;
    const record: RecordInput = {
      requestId: this.input.requestId,
      step: this.step,
      state,
      event,
      at: this.now().toISOString(),
      ...(from ? { from } : {}),
      ...(fields.actor ? { actorKind: ACTOR_KINDS[event] ?? 'system' } : {}),
      ...fields,
    };
    // A count, not the approvers' names: the status stays small whatever the group's size.
    this.context.df.setCustomStatus({ ...this.status, approverCount: this.approvers.length });
    yield* this.call(requestActivities.Record, record);
  }

  *end(
    state: RequestState,
    reason: string,
    record: TransitionFields = {},
    methodId?: string,
  ): Flow<RequestResult> {
    this.status.reason = reason;
    yield* this.record(state, reason, { ...record, details: { reason, ...record.details } });
    return { state, reason, ...(methodId ? { methodId } : {}) };
  }

  *ignored(event: string): Flow<void> {
    yield* this.record(this.status.state, 'event-ignored', {
      details: {
        reason: 'invalid-event',
        message: `A ${event} event that does not fit this request was ignored.`,
      },
    });
  }

  *settle(input: SettleJobInput): Flow<void> {
    yield* this.call(requestActivities.SettleJob, input);
  }

  /** The job joins the station queue; with pre-fetch on, options are fetched now. */
  *enqueue(requeue?: { leaseId: string }): Flow<void> {
    const { input } = this;
    yield* this.call(requestActivities.EnqueueJob, {
      jobId: this.jobId,
      requestId: input.requestId,
      keyClass: input.keyClass,
      recipient: input.requester,
      approvedAt: this.now().toISOString(),
      ...(input.shippingAddress ? { shippingAddress: input.shippingAddress } : {}),
      ...(requeue ? { requeue } : {}),
    });
    if (input.policy.prefetchOptions) {
      // Best effort: without pre-fetched options the station fetches them just in time.
      yield* this.callOnce(requestActivities.PrefetchOptions, {
        jobId: this.jobId,
        userId: input.requester.id,
      });
    }
  }

  /**
   * True when a Cancel or LostKey event came from the requester. A forged one is recorded and
   * changes nothing: the next race waits for the next event as before.
   */
  *requesterActed(arrival: Arrival): Flow<boolean> {
    const parsed = requesterActionSchema.safeParse(arrival.payload);
    if (parsed.success && sameId(parsed.data.by.id, this.input.requester.id)) return true;
    yield* this.ignored(arrival.event);
    return false;
  }

  /** A Cancel or LostKey from the requester revokes the key and ends the request. */
  *withdraw(arrival: Arrival, methodId: string): Flow<RequestResult | undefined> {
    if (!(yield* this.requesterActed(arrival))) return undefined;
    return yield* this.revoke(
      methodId,
      arrival.event === RequestEvent.LostKey ? 'lost' : 'cancelled',
    );
  }

  /** The registered key's credential was deleted: the status must not show it any more. */
  forgetKey(): void {
    delete this.status.methodId;
    delete this.status.serial;
  }

  *giveUpAfterAttempts(): Flow<RequestResult | undefined> {
    if (this.status.attempts < this.input.policy.maxStationAttempts) return undefined;
    return yield* this.giveUp(
      `The key failed ${this.status.attempts} times; IT should check the station and the key stock.`,
    );
  }

  *giveUp(message: string): Flow<RequestResult> {
    yield* this.settle({ jobId: this.jobId, action: 'close', reason: 'too-many-attempts' });
    return yield* this.end(RequestState.Failed, 'too-many-attempts', {
      details: { message },
      notify: [
        { audience: 'requester', kind: 'failed' },
        { audience: 'it', kind: 'failed' },
      ],
    });
  }

  *revokeMethod(methodId: string): Flow<RevokeResult> {
    return yield* this.call(requestActivities.Revoke, {
      requestId: this.input.requestId,
      jobId: this.jobId,
      userId: this.input.requester.id,
      methodId,
    });
  }

  /** Deletes the Graph method and ends the request as Revoked. */
  *revoke(methodId: string, reason: string): Flow<RequestResult> {
    const revoked = yield* this.revokeMethod(methodId);
    yield* this.settle({ jobId: this.jobId, action: 'close', reason });
    const requesterActed = reason === 'lost' || reason === 'cancelled';
    return yield* this.end(
      RequestState.Revoked,
      reason,
      {
        ...(requesterActed ? { actor: this.input.requester } : {}),
        details: {
          methodId,
          reason,
          ...(revoked.graphRequestId ? { graphRequestId: revoked.graphRequestId } : {}),
          message:
            revoked.result === 'already-gone'
              ? 'The Graph method was already gone.'
              : 'The Graph method was deleted.',
        },
        notify: [
          { audience: 'requester', kind: 'revoked' },
          ...(requesterActed ? [] : [{ audience: 'it' as const, kind: 'revoked' }]),
        ],
      },
      methodId,
    );
  }
}

export function sameId(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
