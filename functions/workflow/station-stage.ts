import { RequestState } from '../../core/request/request-state.ts';
import type { Arrival } from './event-inbox.ts';
import {
  requestActivities,
  type RegisterResult,
  type TransitionDetails,
} from './request-activities.ts';
import {
  pinChangeConfirmedSchema,
  registrationSubmittedSchema,
  RequestEvent,
  stationFailureSchema,
  stationLostSchema,
  type RegistrationSubmitted,
  type StationFailure,
} from './request-events.ts';
import type { Flow, RequestFlow, RequestResult } from './request-flow.ts';
import { WORKFLOW_CAPS } from './workflow-policy.ts';

/** A key Graph holds and the station confirmed forcePINChange on, ready to ship. */
export interface RegisteredKey {
  methodId: string;
  /** The registering station's lease, which it also ships under. */
  leaseId: string;
  serial?: number;
}

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
 * Programming at the station: until Graph holds the credential and the station confirmed
 * forcePINChange (a RegisteredKey), or the request ends (a result).
 */
export function* program(flow: RequestFlow): Flow<RequestResult | RegisteredKey> {
  const { input } = flow;
  const waiting = flow.inbox(
    RequestEvent.RegistrationSubmitted,
    RequestEvent.StationFailure,
    RequestEvent.Cancel,
  );
  const seenAttempts = new Set<number>();
  const limit =
    input.policy.maxStationAttempts * WORKFLOW_CAPS.stationEventsPerAttempt +
    WORKFLOW_CAPS.stationEventsMargin;
  for (let round = 0; round < limit; round++) {
    const arrival = yield* flow.race(waiting);
    if (arrival.event === RequestEvent.Cancel) {
      if (yield* flow.requesterActed(arrival)) {
        yield* flow.settle({ jobId: flow.jobId, action: 'close', reason: 'cancelled' });
        return yield* flow.end(RequestState.Closed, 'cancelled', { actor: input.requester });
      }
      continue;
    }
    if (arrival.event === RequestEvent.StationFailure) {
      if (!(yield* keyFailed(flow, arrival))) continue;
      const given = yield* flow.giveUpAfterAttempts();
      if (given) return given;
      continue;
    }
    const parsed = registrationSubmittedSchema.safeParse(arrival.payload);
    if (!parsed.success || seenAttempts.has(parsed.data.attempt)) {
      yield* flow.ignored('RegistrationSubmitted');
      continue;
    }
    const submission = parsed.data;
    seenAttempts.add(submission.attempt);
    const outcome = yield* register(flow, submission);
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
      flow.status.methodId = outcome.methodId;
      if (submission.serial !== undefined) flow.status.serial = submission.serial;
      yield* flow.record(RequestState.Registered, 'registered', {
        actor: submission.operator,
        details: { ...keyDetails, methodId: outcome.methodId },
        notify: [{ audience: 'requester', kind: 'registered' }],
      });
      const next = yield* confirmPinChange(flow, outcome.methodId, submission);
      if (next === 'requeued') continue;
      return next;
    }
    if (!outcome.retry && FINAL_REFUSALS.has(outcome.reason)) {
      yield* flow.settle({ jobId: flow.jobId, action: 'close', reason: outcome.reason });
      return yield* flow.end(RequestState.Failed, outcome.reason, {
        actor: submission.operator,
        actorKind: 'operator',
        details: { ...keyDetails, reason: outcome.reason, message: outcome.message },
        notify: [
          { audience: 'requester', kind: 'policy-refused' },
          { audience: 'it', kind: 'policy-refused' },
        ],
      });
    }
    flow.status.attempts += 1;
    yield* flow.record(RequestState.AwaitingStation, 'registration-refused', {
      actor: submission.operator,
      details: { ...keyDetails, reason: outcome.reason, message: outcome.message },
    });
    const given = yield* flow.giveUpAfterAttempts();
    if (given) return given;
  }
  return yield* flow.giveUp('too many station events');
}

/**
 * Registers through Graph. Transient failures were retried by the activity's retry options;
 * if they persist the station is told to try again later, and the key can be programmed anew.
 */
function* register(flow: RequestFlow, submission: RegistrationSubmitted): Flow<RegisterResult> {
  try {
    return yield* flow.call(requestActivities.Register, {
      requestId: flow.input.requestId,
      jobId: flow.jobId,
      userId: flow.input.requester.id,
      allowedAaguids: flow.input.keyClass.allowedAaguids,
      submission,
    });
  } catch (error) {
    const outcome = {
      outcome: 'refused' as const,
      reason: 'GRAPH_UNAVAILABLE',
      message: `Microsoft Graph could not be reached to register the key: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}. Program the key again later.`,
      retry: true,
    };
    yield* flow.settle({
      jobId: flow.jobId,
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
function* confirmPinChange(
  flow: RequestFlow,
  methodId: string,
  submission: RegistrationSubmitted,
): Flow<RequestResult | 'requeued' | RegisteredKey> {
  const waiting = flow.inbox(
    RequestEvent.PinChangeConfirmed,
    RequestEvent.StationLost,
    RequestEvent.StationFailure,
    RequestEvent.Cancel,
  );
  for (let round = 0; round < WORKFLOW_CAPS.pinChangeEvents; round++) {
    const arrival = yield* flow.race(waiting);
    if (arrival.event === RequestEvent.Cancel) {
      if (yield* flow.requesterActed(arrival)) return yield* flow.revoke(methodId, 'cancelled');
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
        const failure = yield* keyFailed(flow, arrival, (f) =>
          f.attempt === submission.attempt ? methodId : undefined,
        );
        if (failure?.attempt === submission.attempt) leaseId = failure.leaseId;
      } else {
        const parsed = stationLostSchema.safeParse(arrival.payload);
        if (!parsed.success || parsed.data.leaseId !== submission.leaseId) {
          yield* flow.ignored('StationLost');
        } else {
          leaseId = parsed.data.leaseId;
          flow.status.attempts += 1;
          yield* flow.revokeMethod(methodId);
          flow.forgetKey();
          yield* flow.record(RequestState.AwaitingStation, 'station-lost', {
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
      const given = yield* flow.giveUpAfterAttempts();
      if (given) return given;
      yield* flow.enqueue({ leaseId });
      return 'requeued';
    }
    const parsed = pinChangeConfirmedSchema.safeParse(arrival.payload);
    // The confirmation must be about this registration's key, not an earlier attempt's.
    if (!parsed.success || parsed.data.leaseId !== submission.leaseId) {
      yield* flow.ignored('PinChangeConfirmed');
      continue;
    }
    flow.status.pinChangeConfirmed = true;
    yield* flow.record(RequestState.Registered, 'pin-change-confirmed', {
      actor: parsed.data.operator,
      details: { stationId: parsed.data.stationId, operator: parsed.data.operator, methodId },
    });
    return {
      methodId,
      leaseId: submission.leaseId,
      ...(submission.serial === undefined ? {} : { serial: submission.serial }),
    };
  }
  return yield* flow.revoke(methodId, 'too many station events');
}

/**
 * A station reported that programming failed; before registration the station API has already
 * put the job back in the queue. `revokeFor` names the Graph method to delete when the report
 * concerns a registered key. Undefined when the report did not fit and was ignored.
 */
function* keyFailed(
  flow: RequestFlow,
  arrival: Arrival,
  revokeFor?: (failure: StationFailure) => string | undefined,
): Flow<StationFailure | undefined> {
  const parsed = stationFailureSchema.safeParse(arrival.payload);
  if (!parsed.success) {
    yield* flow.ignored('StationFailure');
    return undefined;
  }
  const failure = parsed.data;
  const methodId = revokeFor?.(failure);
  // Counted here rather than taken from the report, so a station cannot inflate it; after
  // registration only a report about the registered key counts (not a late, stale one).
  if (!revokeFor || methodId) flow.status.attempts += 1;
  if (methodId) {
    yield* flow.revokeMethod(methodId);
    flow.forgetKey();
  }
  // A late report about an earlier attempt leaves a registered key where it is.
  const state = methodId ? RequestState.AwaitingStation : flow.status.state;
  yield* flow.record(state, 'key-failed', {
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
