import * as df from 'durable-functions';
import type { OrchestrationContext, Task } from 'durable-functions';
import { RequestState } from '../../core/request/request-state.ts';
import type { Approver } from './choose-approvers.ts';
import {
  RequestActivity,
  type EnqueueJobInput,
  type FallbackApproversResult,
  type RecordInput,
  type RegisterInput,
  type RegisterResult,
  type ResolveApproversResult,
  type RevokeResult,
  type SettleJobInput,
  type TransitionDetails,
} from './request-activities.ts';
import {
  approvalDecisionSchema,
  pinChangeConfirmedSchema,
  registrationSubmittedSchema,
  RequestEvent,
  requesterActionSchema,
  shippedSchema,
  stationFailureSchema,
  stationLostSchema,
  type RegistrationSubmitted,
  type StationFailure,
} from './request-events.ts';
import {
  requestInputSchema,
  requestJobId,
  type Actor,
  type RequestInput,
} from './request-input.ts';
import type { RequestStatus } from './request-status.ts';
import type { ActorKind } from '../store/audit-record.ts';
import { approvalRoundLimit } from './workflow-policy.ts';

/** Versioned by name: a change that alters the sequence of tasks gets a new name (v2). */
export const REQUEST_ORCHESTRATION = 'courier-request-v1';

/** What the orchestration returns when it ends. */
export interface RequestResult {
  state: RequestState;
  reason: string;
  methodId?: string;
}

type Flow<T> = Generator<Task, T, unknown>;

/** A key Graph holds and the station confirmed forcePINChange on, ready to ship. */
interface RegisteredKey {
  methodId: string;
  /** The registering station's lease, which it also ships under. */
  leaseId: string;
  serial?: number;
}

/** An external event taken from its inbox: which one, and its (not yet validated) payload. */
interface Arrival {
  event: RequestEvent;
  payload: unknown;
}

/**
 * The external events of one name that reached the orchestration, read in arrival order.
 *
 * durable-functions hands an event to the most recently *yielded* waiter of that name that has
 * not had one, and lists a waiter once per Task.any it was yielded in. A waiter kept across
 * rounds is therefore listed several times: once it has been read, a later event can land in it
 * again — while the orchestration is busy in an activity and its next waiter is not yielded yet —
 * and be lost. So each race yields a fresh waiter per name (listed once, filled at most once),
 * and every waiter yielded so far is kept here: an event that lands in an older one is found
 * by the next race instead of being lost.
 */
class EventInbox {
  readonly event: RequestEvent;
  private readonly context: OrchestrationContext;
  /** Yielded waiters not read yet, oldest first. */
  private waiters: Task[] = [];

  constructor(context: OrchestrationContext, event: RequestEvent) {
    this.context = context;
    this.event = event;
  }

  /** A new waiter to yield in the next Task.any (and never in another). */
  fresh(): Task {
    const waiter = this.context.df.waitForExternalEvent(this.event);
    this.waiters.push(waiter);
    return waiter;
  }

  /**
   * The earliest event that arrived and was not read yet. Events reach waiters newest-first
   * (the SDK pops them from a stack), so among filled ones the newest holds the earliest event.
   */
  takeWaiting(): Arrival | undefined {
    for (let index = this.waiters.length - 1; index >= 0; index--) {
      const waiter = this.waiters[index]!;
      if (waiter.isCompleted) return this.take(waiter);
    }
    return undefined;
  }

  /** Reads a filled waiter; a waiter is filled at most once, so it is dropped here. */
  take(waiter: Task): Arrival {
    this.waiters = this.waiters.filter((w) => w !== waiter);
    return { event: this.event, payload: waiter.result };
  }

  owns(waiter: Task): boolean {
    return this.waiters.includes(waiter);
  }
}

const HOUR = 3_600_000;
/** What `raceUntil` returns when its timer fired first. */
const TIMED_OUT = Symbol('timed out');
const DAY = 24 * HOUR;

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

/** Policy refusals no new attempt can fix: the request fails and IT is told. */
const FINAL_REFUSALS = new Set([
  'SELF_SERVICE_DISABLED',
  'USER_NOT_TARGETED',
  'AAGUID_NOT_ALLOWED',
  'ATTESTATION_NOT_TRUSTED',
  'POLICY_DISABLED',
  'USER_NOT_FOUND',
  'INSUFFICIENT_PRIVILEGES',
]);

/**
 * One key request, from asking to the PIN's release (DESIGN §2.1). Deterministic: time comes from
 * the orchestration clock, everything that touches the world is an activity, and each external
 * event is validated here again, since anyone holding the durable client can raise one.
 */
export function* requestOrchestration(context: OrchestrationContext): Flow<RequestResult> {
  const parsed = requestInputSchema.safeParse(context.df.getInput());
  if (!parsed.success) {
    // Nothing to record against: fail the instance with a message saying what was wrong.
    throw new Error(
      `Request input is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return yield* new RequestFlow(context, parsed.data).run();
}

class RequestFlow {
  private step = 0;
  private readonly jobId: string;
  private readonly status: RequestStatus;
  private approvers: Approver[] = [];
  /** One inbox per event name, for the whole life of the request (see EventInbox). */
  private readonly inboxes: Record<RequestEvent, EventInbox>;

  private readonly context: OrchestrationContext;
  private readonly input: RequestInput;

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

  private inbox(...events: RequestEvent[]): EventInbox[] {
    return events.map((event) => this.inboxes[event]);
  }

  private get df() {
    return this.context.df;
  }

  private now(): Date {
    return this.df.currentUtcDateTime;
  }

  *run(): Flow<RequestResult> {
    const { input } = this;
    yield* this.record(RequestState.Requested, 'requested', {
      actor: input.requester,
      request: {
        requester: input.requester,
        reason: input.reason,
        keyClass: input.keyClass,
        requestedAt: input.requestedAt,
        jobId: this.jobId,
        ...(input.note === undefined ? {} : { note: input.note }),
        ...(input.replaces === undefined ? {} : { replaces: input.replaces }),
      },
    });

    const approval = yield* this.approve();
    if (approval) return approval;

    const registered = yield* this.program();
    if ('state' in registered) return registered;

    return yield* this.deliver(registered.methodId, registered.leaseId);
  }

  // ── Approval ───────────────────────────────────────────────────────────────────────────

  /** Returns a result when the request ends here (rejected, expired, cancelled, no approver). */
  private *approve(): Flow<RequestResult | undefined> {
    const { input } = this;
    if (input.preApprovedBy) {
      // The job is queued before the request reads AwaitingStation, so a station that sees
      // the state can claim the job.
      yield* this.enqueue();
      yield* this.record(RequestState.AwaitingStation, 'approved', {
        actor: input.preApprovedBy,
        actorKind: 'admin',
        details: { approver: input.preApprovedBy, approverSource: 'admin-bulk' },
        notify: [{ audience: 'requester', kind: 'approved' }],
      });
      return undefined;
    }

    const choice = (yield this.df.callActivityWithRetry(
      RequestActivity.ResolveApprovers,
      activityRetry(),
      { requesterId: input.requester.id, fallbackGroupId: input.policy.fallbackApproversGroupId },
    )) as ResolveApproversResult;
    if (choice.approvers.length === 0) {
      return yield* this.end(RequestState.Closed, 'no-approver', {
        details: {
          approverSource: choice.source,
          message:
            'Nobody can approve this request: no usable manager and no usable member in the fallback approvers group.',
        },
        notify: [
          { audience: 'requester', kind: 'no-approver' },
          { audience: 'it', kind: 'no-approver' },
        ],
      });
    }
    this.approvers = choice.approvers;
    const started = this.now().getTime();
    const deadline = started + input.policy.approvalExpiryDays * DAY;
    this.status.approvalDeadline = new Date(deadline).toISOString();
    yield* this.record(RequestState.AwaitingApproval, 'approval-requested', {
      approvers: this.approvers,
      details: { approverSource: choice.source, deadline: this.status.approvalDeadline },
      notify: [{ audience: 'approvers', kind: 'approval-requested' }],
    });

    const waiting = this.inbox(RequestEvent.ApprovalDecision, RequestEvent.Cancel);
    let reminders = 0;
    let escalated = false;
    let nextReminder = started + input.policy.reminderHours * HOUR;
    for (let round = 0; round < approvalRoundLimit(input.policy); round++) {
      const wake = Math.min(nextReminder, deadline);
      const arrival = yield* this.raceUntil(waiting, wake);
      if (arrival === TIMED_OUT) {
        if (wake >= deadline) {
          return yield* this.end(RequestState.Closed, 'expired', {
            notify: [
              { audience: 'requester', kind: 'expired' },
              { audience: 'approvers', kind: 'expired' },
            ],
          });
        }
        nextReminder += input.policy.reminderHours * HOUR;
        // After maxReminders reminders, the next round escalates instead of reminding.
        if (reminders >= input.policy.maxReminders && !escalated) {
          escalated = true;
          yield* this.escalate();
        } else {
          reminders += 1;
          this.status.reminders = reminders;
          yield* this.record(RequestState.AwaitingApproval, 'reminded', {
            details: { message: `Reminder ${reminders}` },
            notify: [{ audience: 'approvers', kind: 'reminder' }],
          });
        }
        continue;
      }
      if (arrival.event === RequestEvent.Cancel) {
        const cancelled = yield* this.requesterActed(arrival);
        if (cancelled) {
          return yield* this.end(RequestState.Closed, 'cancelled', {
            actor: input.requester,
            notify: [{ audience: 'approvers', kind: 'cancelled' }],
          });
        }
        continue;
      }
      const parsed = approvalDecisionSchema.safeParse(arrival.payload);
      const refusal = !parsed.success
        ? 'malformed decision'
        : sameId(parsed.data.approver.id, input.requester.id)
          ? 'a requester cannot approve their own request'
          : !this.approvers.some((a) => sameId(a.id, parsed.data.approver.id))
            ? 'the decision came from someone who is not an approver of this request'
            : undefined;
      if (refusal || !parsed.success) {
        yield* this.record(RequestState.AwaitingApproval, 'decision-refused', {
          ...(parsed.success ? { actor: parsed.data.approver } : {}),
          details: { reason: 'not-allowed', message: refusal ?? 'malformed decision' },
        });
        continue;
      }
      const { approver, approved, comment } = parsed.data;
      this.status.decidedBy = approver.displayName ?? approver.id;
      if (!approved) {
        return yield* this.end(RequestState.Closed, 'rejected', {
          actor: approver,
          details: { approver, ...(comment ? { message: comment } : {}) },
          notify: [{ audience: 'requester', kind: 'rejected' }],
        });
      }
      yield* this.enqueue();
      yield* this.record(RequestState.AwaitingStation, 'approved', {
        actor: approver,
        details: { approver, ...(comment ? { message: comment } : {}) },
        notify: [{ audience: 'requester', kind: 'approved' }],
      });
      return undefined;
    }
    // Only reachable if something keeps raising refused decisions; expire rather than loop on.
    return yield* this.end(RequestState.Closed, 'expired', {
      details: { message: 'Too many refused decisions before the deadline.' },
      notify: [{ audience: 'requester', kind: 'expired' }],
    });
  }

  private *escalate(): Flow<void> {
    const { input } = this;
    const fallback = (yield this.df.callActivityWithRetry(
      RequestActivity.FallbackApprovers,
      activityRetry(),
      { requesterId: input.requester.id, fallbackGroupId: input.policy.fallbackApproversGroupId },
    )) as FallbackApproversResult;
    const known = new Set(this.approvers.map((a) => a.id.toLowerCase()));
    this.approvers = [...this.approvers, ...fallback.filter((a) => !known.has(a.id.toLowerCase()))];
    this.status.escalated = true;
    yield* this.record(RequestState.AwaitingApproval, 'escalated', {
      approvers: this.approvers,
      details: { approverSource: 'escalation' },
      notify: [{ audience: 'approvers', kind: 'escalated' }],
    });
  }

  /** The job joins the station queue; with pre-fetch on, options are fetched now. */
  private *enqueue(requeue?: { leaseId: string }): Flow<undefined> {
    const { input } = this;
    const job: EnqueueJobInput = {
      jobId: this.jobId,
      requestId: input.requestId,
      keyClass: input.keyClass,
      recipient: input.requester,
      approvedAt: this.now().toISOString(),
      ...(input.shippingAddress ? { shippingAddress: input.shippingAddress } : {}),
      ...(requeue ? { requeue } : {}),
    };
    yield this.df.callActivityWithRetry(RequestActivity.EnqueueJob, activityRetry(), job);
    if (input.policy.prefetchOptions) {
      // Best effort: without pre-fetched options the station fetches them just in time.
      yield this.df.callActivity(RequestActivity.PrefetchOptions, {
        jobId: this.jobId,
        userId: input.requester.id,
      });
    }
    return undefined;
  }

  // ── Programming at the station ─────────────────────────────────────────────────────────

  /** Until Graph holds the credential (or the request ends). */
  private *program(): Flow<RequestResult | RegisteredKey> {
    const { input } = this;
    const waiting = this.inbox(
      RequestEvent.RegistrationSubmitted,
      RequestEvent.StationFailure,
      RequestEvent.Cancel,
    );
    const seenAttempts = new Set<number>();
    const limit = input.policy.maxStationAttempts * 4 + 20;
    for (let round = 0; round < limit; round++) {
      const arrival = yield* this.race(waiting);
      if (arrival.event === RequestEvent.Cancel) {
        if (yield* this.requesterActed(arrival)) {
          yield* this.settle({ jobId: this.jobId, action: 'close', reason: 'cancelled' });
          return yield* this.end(RequestState.Closed, 'cancelled', { actor: input.requester });
        }
        continue;
      }
      if (arrival.event === RequestEvent.StationFailure) {
        if (!(yield* this.keyFailed(arrival))) continue;
        const given = yield* this.giveUpAfterAttempts();
        if (given) return given;
        continue;
      }
      const parsed = registrationSubmittedSchema.safeParse(arrival.payload);
      if (!parsed.success || seenAttempts.has(parsed.data.attempt)) {
        yield* this.ignored('RegistrationSubmitted');
        continue;
      }
      const submission = parsed.data;
      seenAttempts.add(submission.attempt);
      const outcome = yield* this.register(submission);
      const keyDetails: TransitionDetails = {
        stationId: submission.stationId,
        operator: submission.operator,
        attempt: submission.attempt,
        aaguid: submission.aaguid,
        credentialId: submission.credentialId,
        ...(submission.serial === undefined ? {} : { serial: submission.serial }),
        ...(outcome.graphRequestId ? { graphRequestId: outcome.graphRequestId } : {}),
      };
      if (outcome.outcome === 'registered') {
        this.status.methodId = outcome.methodId;
        if (submission.serial !== undefined) this.status.serial = submission.serial;
        yield* this.record(RequestState.Registered, 'registered', {
          actor: submission.operator,
          details: { ...keyDetails, methodId: outcome.methodId },
          notify: [{ audience: 'requester', kind: 'registered' }],
        });
        const next = yield* this.confirmPinChange(outcome.methodId, submission);
        if (next === 'requeued') continue;
        return next;
      }
      if (!outcome.retry && FINAL_REFUSALS.has(outcome.reason)) {
        yield* this.settle({ jobId: this.jobId, action: 'close', reason: outcome.reason });
        return yield* this.end(RequestState.Failed, outcome.reason, {
          actor: submission.operator,
          actorKind: 'operator',
          details: { ...keyDetails, reason: outcome.reason, message: outcome.message },
          notify: [
            { audience: 'requester', kind: 'policy-refused' },
            { audience: 'it', kind: 'policy-refused' },
          ],
        });
      }
      this.status.attempts += 1;
      yield* this.record(RequestState.AwaitingStation, 'registration-refused', {
        actor: submission.operator,
        details: { ...keyDetails, reason: outcome.reason, message: outcome.message },
      });
      const given = yield* this.giveUpAfterAttempts();
      if (given) return given;
    }
    return yield* this.giveUp('too many station events');
  }

  /**
   * Registers through Graph. Transient failures were retried by the activity's retry options;
   * if they persist the station is told to try again later, and the key can be programmed anew.
   */
  private *register(submission: RegistrationSubmitted): Flow<RegisterResult> {
    const registration: RegisterInput = {
      requestId: this.input.requestId,
      jobId: this.jobId,
      userId: this.input.requester.id,
      allowedAaguids: this.input.keyClass.allowedAaguids,
      submission,
    };
    try {
      return (yield this.df.callActivityWithRetry(
        RequestActivity.Register,
        activityRetry(),
        registration,
      )) as RegisterResult;
    } catch (error) {
      const outcome = {
        outcome: 'refused' as const,
        reason: 'GRAPH_UNAVAILABLE',
        message: `Microsoft Graph could not be reached to register the key: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}. Program the key again later.`,
        retry: true,
      };
      yield* this.settle({
        jobId: this.jobId,
        action: 'outcome',
        attempt: submission.attempt,
        outcome,
      });
      return outcome;
    }
  }

  /**
   * After registration the station sets forcePINChange last and confirms it. If its lease runs
   * out first, the key's PIN died with the station: the credential is deleted and the job redone.
   */
  private *confirmPinChange(
    methodId: string,
    submission: RegistrationSubmitted,
  ): Flow<RequestResult | 'requeued' | RegisteredKey> {
    const waiting = this.inbox(
      RequestEvent.PinChangeConfirmed,
      RequestEvent.StationLost,
      RequestEvent.StationFailure,
      RequestEvent.Cancel,
    );
    for (let round = 0; round < 20; round++) {
      const arrival = yield* this.race(waiting);
      if (arrival.event === RequestEvent.Cancel) {
        if (yield* this.requesterActed(arrival)) return yield* this.revoke(methodId, 'cancelled');
        continue;
      }
      if (
        arrival.event === RequestEvent.StationLost ||
        arrival.event === RequestEvent.StationFailure
      ) {
        // Either way the key's PIN went with the station's memory while the credential is live:
        // delete it, and have a reset key programmed again. Reports about earlier attempts
        // are recorded but change nothing.
        let leaseId: string | undefined;
        if (arrival.event === RequestEvent.StationFailure) {
          const failure = yield* this.keyFailed(arrival, (f) =>
            f.attempt === submission.attempt ? methodId : undefined,
          );
          if (failure?.attempt === submission.attempt) leaseId = failure.leaseId;
        } else {
          const parsed = stationLostSchema.safeParse(arrival.payload);
          if (!parsed.success || parsed.data.leaseId !== submission.leaseId) {
            yield* this.ignored('StationLost');
          } else {
            leaseId = parsed.data.leaseId;
            this.status.attempts += 1;
            yield* this.revokeMethod(methodId);
            this.forgetKey();
            yield* this.record(RequestState.AwaitingStation, 'station-lost', {
              details: {
                stationId: parsed.data.stationId,
                attempt: submission.attempt,
                methodId,
                message:
                  'The station stopped before confirming forcePINChange; the credential was deleted and the key must be reset and programmed again.',
              },
            });
          }
        }
        if (leaseId === undefined) continue;
        const given = yield* this.giveUpAfterAttempts();
        if (given) return given;
        yield* this.enqueue({ leaseId });
        return 'requeued';
      }
      const parsed = pinChangeConfirmedSchema.safeParse(arrival.payload);
      // The confirmation must be about this registration's key, not an earlier attempt's.
      if (!parsed.success || parsed.data.leaseId !== submission.leaseId) {
        yield* this.ignored('PinChangeConfirmed');
        continue;
      }
      this.status.pinChangeConfirmed = true;
      yield* this.record(RequestState.Registered, 'pin-change-confirmed', {
        actor: parsed.data.operator,
        details: { stationId: parsed.data.stationId, operator: parsed.data.operator, methodId },
      });
      return {
        methodId,
        leaseId: submission.leaseId,
        ...(submission.serial === undefined ? {} : { serial: submission.serial }),
      };
    }
    return yield* this.revoke(methodId, 'too many station events');
  }

  // ── Shipping, delivery and the PIN ─────────────────────────────────────────────────────

  /** `leaseId` is the registering station's lease, which it also ships under. */
  private *deliver(methodId: string, leaseId: string): Flow<RequestResult> {
    const days = this.input.policy.deliveryConfirmDays;

    // Registered and packed: the credential is live, so it cannot wait for shipment forever.
    const shipBy = this.now().getTime() + days * DAY;
    const beforeShipment = this.inbox(
      RequestEvent.Shipped,
      RequestEvent.LostKey,
      RequestEvent.Cancel,
    );
    let shipment: { carrier: string; trackingNumber: string } | undefined;
    for (let round = 0; round < 20 && !shipment; round++) {
      const arrival = yield* this.raceUntil(beforeShipment, shipBy);
      if (arrival === TIMED_OUT) return yield* this.revoke(methodId, 'not-shipped');
      if (arrival.event === RequestEvent.LostKey || arrival.event === RequestEvent.Cancel) {
        const ended = yield* this.withdraw(arrival, methodId);
        if (ended) return ended;
        continue;
      }
      const parsed = shippedSchema.safeParse(arrival.payload);
      if (!parsed.success || parsed.data.leaseId !== leaseId) {
        yield* this.ignored('Shipped');
        continue;
      }
      shipment = parsed.data;
      this.status.trackingNumber = parsed.data.trackingNumber;
      this.status.deliveryDeadline = new Date(this.now().getTime() + days * DAY).toISOString();
      yield* this.record(RequestState.Shipped, 'shipped', {
        actor: parsed.data.operator,
        details: {
          stationId: parsed.data.stationId,
          operator: parsed.data.operator,
          carrier: parsed.data.carrier,
          trackingNumber: parsed.data.trackingNumber,
          deadline: this.status.deliveryDeadline,
        },
        notify: [{ audience: 'requester', kind: 'shipped' }],
      });
    }
    if (!shipment) return yield* this.revoke(methodId, 'too many shipping events');

    // Delivered: only the requester can say so, and only then can the PIN be revealed.
    const beforeDelivery = this.inbox(
      RequestEvent.DeliveryConfirmed,
      RequestEvent.LostKey,
      RequestEvent.Cancel,
    );
    const beforeRelease = this.inbox(RequestEvent.PinReleased, RequestEvent.LostKey);
    let deadline = this.now().getTime() + days * DAY;
    let confirmed = false;
    for (let round = 0; round < 20; round++) {
      const arrival = yield* this.raceUntil(confirmed ? beforeRelease : beforeDelivery, deadline);
      if (arrival === TIMED_OUT) {
        return yield* this.revoke(methodId, confirmed ? 'pin-not-revealed' : 'not-confirmed');
      }
      if (arrival.event === RequestEvent.LostKey || arrival.event === RequestEvent.Cancel) {
        const ended = yield* this.withdraw(arrival, methodId);
        if (ended) return ended;
        continue;
      }
      const parsed = requesterActionSchema.safeParse(arrival.payload);
      if (!parsed.success || !sameId(parsed.data.by.id, this.input.requester.id)) {
        yield* this.ignored(arrival.event);
        continue;
      }
      if (arrival.event === RequestEvent.DeliveryConfirmed) {
        confirmed = true;
        this.status.deliveryConfirmed = true;
        // A fresh window to reveal the PIN; an unrevealed PIN leaves the key unusable anyway.
        deadline = this.now().getTime() + days * DAY;
        yield* this.record(RequestState.Shipped, 'delivery-confirmed', {
          actor: parsed.data.by,
          details: { methodId },
        });
        continue;
      }
      yield* this.record(RequestState.PinReleased, 'pin-released', {
        actor: parsed.data.by,
        details: { methodId },
      });
      yield* this.settle({ jobId: this.jobId, action: 'close', reason: 'completed' });
      return yield* this.end(RequestState.Completed, 'completed', {
        details: { methodId },
        notify: [{ audience: 'requester', kind: 'completed' }],
      });
    }
    return yield* this.revoke(methodId, 'too many delivery events');
  }

  // ── Helpers ────────────────────────────────────────────────────────────────────────────

  /** A Cancel or LostKey from the requester revokes the key and ends the request. */
  private *withdraw(arrival: Arrival, methodId: string): Flow<RequestResult | undefined> {
    if (!(yield* this.requesterActed(arrival))) return undefined;
    return yield* this.revoke(
      methodId,
      arrival.event === RequestEvent.LostKey ? 'lost' : 'cancelled',
    );
  }

  /**
   * True when a Cancel or LostKey event came from the requester. A forged one is recorded and
   * changes nothing: the next race waits for the next event as before.
   */
  private *requesterActed(arrival: Arrival): Flow<boolean> {
    const parsed = requesterActionSchema.safeParse(arrival.payload);
    if (parsed.success && sameId(parsed.data.by.id, this.input.requester.id)) return true;
    yield* this.ignored(arrival.event);
    return false;
  }

  /**
   * A station reported that programming failed; before registration the station API has already
   * put the job back in the queue. `revokeFor` names the Graph method to delete when the report
   * concerns a registered key. Undefined when the report did not fit and was ignored.
   */
  private *keyFailed(
    arrival: Arrival,
    revokeFor?: (failure: StationFailure) => string | undefined,
  ): Flow<StationFailure | undefined> {
    const parsed = stationFailureSchema.safeParse(arrival.payload);
    if (!parsed.success) {
      yield* this.ignored('StationFailure');
      return undefined;
    }
    const failure = parsed.data;
    const methodId = revokeFor?.(failure);
    // Counted here rather than taken from the report, so a station cannot inflate it; after
    // registration only a report about the registered key counts (not a late, stale one).
    if (!revokeFor || methodId) this.status.attempts += 1;
    if (methodId) {
      yield* this.revokeMethod(methodId);
      this.forgetKey();
    }
    // A late report about an earlier attempt leaves a registered key where it is.
    const state = methodId ? RequestState.AwaitingStation : this.status.state;
    yield* this.record(state, 'key-failed', {
      actor: failure.operator,
      details: {
        stationId: failure.stationId,
        operator: failure.operator,
        attempt: failure.attempt,
        reason: failure.reason,
        message: failure.detail,
        ...(methodId ? { methodId } : {}),
      },
    });
    return failure;
  }

  /** The registered key's credential was deleted: the status must not show it any more. */
  private forgetKey(): void {
    delete this.status.methodId;
    delete this.status.serial;
  }

  private *giveUpAfterAttempts(): Flow<RequestResult | undefined> {
    if (this.status.attempts < this.input.policy.maxStationAttempts) return undefined;
    return yield* this.giveUp(
      `The key failed ${this.status.attempts} times; IT should check the station and the key stock.`,
    );
  }

  private *giveUp(message: string): Flow<RequestResult> {
    yield* this.settle({ jobId: this.jobId, action: 'close', reason: 'too-many-attempts' });
    return yield* this.end(RequestState.Failed, 'too-many-attempts', {
      details: { message },
      notify: [
        { audience: 'requester', kind: 'failed' },
        { audience: 'it', kind: 'failed' },
      ],
    });
  }

  private *revokeMethod(methodId: string): Flow<RevokeResult> {
    return (yield this.df.callActivityWithRetry(RequestActivity.Revoke, activityRetry(), {
      requestId: this.input.requestId,
      jobId: this.jobId,
      userId: this.input.requester.id,
      methodId,
    })) as RevokeResult;
  }

  /** Deletes the Graph method and ends the request as Revoked. */
  private *revoke(methodId: string, reason: string): Flow<RequestResult> {
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

  private *settle(input: SettleJobInput): Flow<void> {
    yield this.df.callActivityWithRetry(RequestActivity.SettleJob, activityRetry(), input);
  }

  private *ignored(event: string): Flow<void> {
    yield* this.record(this.status.state, 'event-ignored', {
      details: {
        reason: 'invalid-event',
        message: `A ${event} event that does not fit this request was ignored.`,
      },
    });
  }

  /** Waits for the first event of `inboxes` (an event already waiting is taken at once). */
  private *race(inboxes: EventInbox[]): Flow<Arrival> {
    const waiting = takeWaiting(inboxes);
    if (waiting) return waiting;
    const waiters = inboxes.map((inbox) => inbox.fresh());
    return arrivalOf(inboxes, (yield this.df.Task.any(waiters)) as Task);
  }

  /**
   * Like `race`, or TIMED_OUT once durable time reaches `wakeAt`. The timer is fresh each time
   * and cancelled when an event wins, since a task yielded once must not be yielded again
   * (Azure/azure-functions-durable-js#574) and a finished orchestration must leave no timer.
   */
  private *raceUntil(inboxes: EventInbox[], wakeAt: number): Flow<Arrival | typeof TIMED_OUT> {
    const waiting = takeWaiting(inboxes);
    if (waiting) return waiting;
    const waiters = inboxes.map((inbox) => inbox.fresh());
    const timer = this.df.createTimer(new Date(wakeAt));
    const winner = (yield this.df.Task.any([...waiters, timer])) as Task;
    if (winner === timer) return TIMED_OUT;
    timer.cancel();
    return arrivalOf(inboxes, winner);
  }

  private *end(
    state: RequestState,
    reason: string,
    record: Omit<Partial<RecordInput>, 'state' | 'event' | 'step' | 'requestId'> = {},
    methodId?: string,
  ): Flow<RequestResult> {
    this.status.reason = reason;
    yield* this.record(state, reason, {
      ...record,
      details: { reason, ...record.details },
    });
    return { state, reason, ...(methodId ? { methodId } : {}) };
  }

  private *record(
    state: RequestState,
    event: string,
    fields: Omit<Partial<RecordInput>, 'state' | 'event' | 'step' | 'requestId'> = {},
  ): Flow<void> {
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
    this.df.setCustomStatus({
      ...this.status,
      approvers: this.approvers.map((a) => a.displayName),
    });
    yield this.df.callActivityWithRetry(RequestActivity.Record, activityRetry(), record);
  }
}

/** The first event already waiting in `inboxes`, in their order of priority. */
function takeWaiting(inboxes: EventInbox[]): Arrival | undefined {
  for (const inbox of inboxes) {
    const arrival = inbox.takeWaiting();
    if (arrival) return arrival;
  }
  return undefined;
}

function arrivalOf(inboxes: EventInbox[], winner: Task): Arrival {
  const inbox = inboxes.find((i) => i.owns(winner));
  if (!inbox) throw new Error('Task.any answered with a task that none of the inboxes yielded.');
  return inbox.take(winner);
}

function sameId(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** Registers the orchestration with the Functions runtime (called from the entry point). */
export function registerRequestOrchestration(): void {
  df.app.orchestration(REQUEST_ORCHESTRATION, requestOrchestration);
}

export type { Actor };
