import { describe, expect, it } from 'vitest';
import { RequestState } from '../../../core/request/request-state.ts';
import {
  RequestActivity,
  type EnqueueJobInput,
  type RecordInput,
  type RegisterInput,
  type RegisterResult,
} from '../../../functions/workflow/request-activities.ts';
import { RequestEvent } from '../../../functions/workflow/request-events.ts';
import {
  ADMIN,
  COLLEAGUE,
  DAY,
  EPOCH,
  FALLBACK_APPROVERS,
  HOUR,
  JOB_ID,
  MANAGER,
  METHOD_ID,
  OPERATOR,
  POLICY,
  REQUEST_ID,
  REQUESTER,
  RequestRun,
  leaseId,
  requestInput,
} from './support/request-run.ts';

/**
 * The request workflow (docs/design.md §2.1) replayed through durable-functions' own orchestrator entry
 * point, with the local host's replay machinery keeping the history: what the tests see is what
 * the SDK answers to each history, not a model of it. Durable time moves only when a test moves
 * it, so reminders, expiry and revocation deadlines are exact and instant.
 */

const at = (ms: number) => new Date(ms).toISOString();

/** The request ended: the orchestration completed with this result and left nothing running. */
function expectEnded(run: RequestRun, state: RequestState, reason: string): void {
  expect(run.driver.failure).toBeUndefined();
  expect(run.runtimeStatus).toBe('Completed');
  expect(run.result).toMatchObject({ state, reason });
  expect(run.status).toMatchObject({ state, reason });
  expect(run.driver.openActivities()).toEqual([]);
  expect(run.driver.timersLeftOpenAtEnd).toEqual([]);
}

/** The request is still going, waiting in `state`. */
function expectWaiting(run: RequestRun, state: RequestState): void {
  expect(run.driver.failure).toBeUndefined();
  expect(run.runtimeStatus).toBe('Running');
  expect(run.status.state).toBe(state);
  expect(run.driver.openActivities()).toEqual([]);
}

function registered(methodId: string): RegisterResult {
  return { outcome: 'registered', methodId, graphRequestId: `graph-${methodId}` };
}

/** A shipped key: approved, registered, forcePINChange confirmed, shipped. */
async function shippedRun(): Promise<RequestRun> {
  const run = await RequestRun.start();
  await run.registerKey();
  await run.shipped(1);
  expectWaiting(run, RequestState.Shipped);
  return run;
}

describe('approval', () => {
  it('asks the manager, and queues the job for a station once the manager approves', async () => {
    const run = await RequestRun.start();

    expect(run.calls(RequestActivity.ResolveApprovers)).toEqual([
      { requesterId: REQUESTER.id, fallbackGroupId: POLICY.fallbackApproversGroupId },
    ]);
    expect(run.events()).toEqual(['requested', 'approval-requested']);
    expect(run.record('requested')).toMatchObject({
      step: 1,
      state: RequestState.Requested,
      actor: REQUESTER,
      actorKind: 'requester',
      request: { requester: REQUESTER, jobId: JOB_ID, reason: 'new-hire' },
    });
    expect(run.record('approval-requested')).toMatchObject({
      state: RequestState.AwaitingApproval,
      from: RequestState.Requested,
      approvers: [MANAGER],
      details: { approverSource: 'manager', deadline: at(EPOCH + 7 * DAY) },
      notify: [{ audience: 'approvers', kind: 'approval-requested' }],
    });
    expectWaiting(run, RequestState.AwaitingApproval);
    const [reminder] = run.driver.openTimers();
    expect(reminder).toMatchObject({ fireAt: EPOCH + 24 * HOUR, role: 'user' });

    await run.driver.advance(2 * HOUR);
    await run.decide(MANAGER, true, 'Welcome aboard');

    expect(run.record('approved')).toMatchObject({
      state: RequestState.AwaitingStation,
      actor: MANAGER,
      actorKind: 'approver',
      details: { approver: MANAGER, message: 'Welcome aboard' },
      notify: [{ audience: 'requester', kind: 'approved' }],
    });
    expect(run.calls(RequestActivity.EnqueueJob)).toEqual([
      {
        jobId: JOB_ID,
        requestId: REQUEST_ID,
        keyClass: run.input.keyClass,
        recipient: REQUESTER,
        approvedAt: at(EPOCH + 2 * HOUR),
        shippingAddress: run.input.shippingAddress,
      } satisfies EnqueueJobInput,
    ]);
    // Options are fetched just in time by the station unless the policy says otherwise.
    expect(run.calls(RequestActivity.PrefetchOptions)).toEqual([]);
    expect(run.status).toMatchObject({
      decidedBy: MANAGER.displayName,
      approverCount: 1,
    });
    // The pending reminder is cancelled, not left to fire into a request that moved on.
    expect(run.driver.openTimers()).toEqual([]);
    expect(run.driver.cancelledTimers()).toContain(reminder!.timerId);
    expectWaiting(run, RequestState.AwaitingStation);
  });

  it('fetches creation options at approval when the policy pre-fetches them', async () => {
    const run = await RequestRun.start({
      input: requestInput({ policy: { ...POLICY, prefetchOptions: true } }),
    });
    await run.approve();
    expect(run.calls(RequestActivity.PrefetchOptions)).toEqual([
      { jobId: JOB_ID, userId: REQUESTER.id },
    ]);
    expectWaiting(run, RequestState.AwaitingStation);
  });

  it('reminds the approvers every reminderHours with a reminded record each time', async () => {
    const run = await RequestRun.start();

    await run.driver.advance(24 * HOUR - 1);
    expect(run.events()).not.toContain('reminded');

    await run.driver.advance(1);
    expect(run.record('reminded')).toMatchObject({
      state: RequestState.AwaitingApproval,
      at: at(EPOCH + 24 * HOUR),
      details: { message: 'Reminder 1' },
      notify: [{ audience: 'approvers', kind: 'reminder' }],
    });

    await run.driver.advance(24 * HOUR);
    const reminders = run.records().filter((r) => r.event === 'reminded');
    expect(reminders.map((r) => [r.at, r.details?.message])).toEqual([
      [at(EPOCH + 24 * HOUR), 'Reminder 1'],
      [at(EPOCH + 48 * HOUR), 'Reminder 2'],
    ]);
    expect(run.notifications()).toEqual([
      'approvers:approval-requested',
      'approvers:reminder',
      'approvers:reminder',
    ]);
    expect(run.status.reminders).toBe(2);
    expect(run.driver.openTimers()).toMatchObject([{ fireAt: EPOCH + 72 * HOUR }]);
    expectWaiting(run, RequestState.AwaitingApproval);

    // Reminders change nothing about who may decide.
    await run.approve();
    expect(run.events().at(-1)).toBe('approved');
  });

  it('escalates to the fallback approvers after maxReminders, who may then approve', async () => {
    const run = await RequestRun.start();
    const [sofia] = FALLBACK_APPROVERS;

    // Before the escalation a fallback approver is nobody on this request.
    await run.driver.advance(48 * HOUR);
    await run.decide(sofia!, true);
    expect(run.events().at(-1)).toBe('decision-refused');
    expect(run.calls(RequestActivity.FallbackApprovers)).toEqual([]);

    await run.driver.advance(24 * HOUR);
    expect(run.calls(RequestActivity.FallbackApprovers)).toEqual([
      { requesterId: REQUESTER.id, fallbackGroupId: POLICY.fallbackApproversGroupId },
    ]);
    expect(run.record('escalated')).toMatchObject({
      state: RequestState.AwaitingApproval,
      at: at(EPOCH + 72 * HOUR),
      approvers: [MANAGER, ...FALLBACK_APPROVERS],
      details: { approverSource: 'escalation' },
      notify: [{ audience: 'approvers', kind: 'escalated' }],
    });
    expect(run.status).toMatchObject({
      escalated: true,
      approverCount: 3,
    });

    // Reminders go on after the escalation, to everyone, numbered on from the last one.
    await run.driver.advance(24 * HOUR);
    expect(run.record('reminded')).toMatchObject({
      details: { message: 'Reminder 3' },
      notify: [{ audience: 'approvers', kind: 'reminder' }],
    });
    expect(run.status.reminders).toBe(3);

    await run.decide(sofia!, true);
    expect(run.record('approved')).toMatchObject({ actor: sofia, details: { approver: sofia } });
    expect(run.calls(RequestActivity.EnqueueJob)).toHaveLength(1);
    expectWaiting(run, RequestState.AwaitingStation);
  });

  it('closes the request as expired after approvalExpiryDays without a decision', async () => {
    const run = await RequestRun.start();

    await run.driver.advance(7 * DAY - 1);
    expectWaiting(run, RequestState.AwaitingApproval);

    await run.driver.advance(1);
    expectEnded(run, RequestState.Closed, 'expired');
    expect(run.events()).toEqual([
      'requested',
      'approval-requested',
      'reminded',
      'reminded',
      'escalated',
      'reminded',
      'reminded',
      'reminded',
      'expired',
    ]);
    expect(run.record('expired')).toMatchObject({
      state: RequestState.Closed,
      at: at(EPOCH + 7 * DAY),
      details: { reason: 'expired' },
      notify: [
        { audience: 'requester', kind: 'expired' },
        { audience: 'approvers', kind: 'expired' },
      ],
    });
    expect(run.calls(RequestActivity.EnqueueJob)).toEqual([]);
  });

  it('closes the request when the manager rejects it', async () => {
    const run = await RequestRun.start();
    const [reminder] = run.driver.openTimers();

    await run.decide(MANAGER, false, 'You already have two keys.');

    expectEnded(run, RequestState.Closed, 'rejected');
    expect(run.record('rejected')).toMatchObject({
      actor: MANAGER,
      actorKind: 'approver',
      details: { reason: 'rejected', approver: MANAGER, message: 'You already have two keys.' },
      notify: [{ audience: 'requester', kind: 'rejected' }],
    });
    expect(run.calls(RequestActivity.EnqueueJob)).toEqual([]);
    expect(run.driver.cancelledTimers()).toContain(reminder!.timerId);
  });

  it('refuses a decision by the requester on their own request and keeps waiting', async () => {
    const run = await RequestRun.start();

    await run.decide(REQUESTER, true);
    // Ids compare without regard to case, as Entra object ids do.
    await run.decide({ ...REQUESTER, id: REQUESTER.id.toUpperCase() }, true);

    const refused = run.records().filter((r) => r.event === 'decision-refused');
    expect(refused).toHaveLength(2);
    expect(refused[0]).toMatchObject({
      state: RequestState.AwaitingApproval,
      actor: REQUESTER,
      details: {
        reason: 'not-allowed',
        message: 'a requester cannot approve their own request',
      },
    });
    expect(run.status.decidedBy).toBeUndefined();
    expect(run.calls(RequestActivity.EnqueueJob)).toEqual([]);
    expectWaiting(run, RequestState.AwaitingApproval);
    // Still waiting for real: the reminder comes, and the manager can approve.
    expect(run.driver.openTimers()).toMatchObject([{ fireAt: EPOCH + 24 * HOUR }]);
    await run.approve();
    expectWaiting(run, RequestState.AwaitingStation);
  });

  it('refuses a decision by someone who is not an approver, and a malformed one', async () => {
    const run = await RequestRun.start();

    await run.decide(COLLEAGUE, true);
    await run.raise(RequestEvent.ApprovalDecision, { approved: true });

    const refused = run.records().filter((r) => r.event === 'decision-refused');
    expect(refused.map((r) => r.details?.message)).toEqual([
      'the decision came from someone who is not an approver of this request',
      'malformed decision',
    ]);
    expect(refused[0]!.actor).toEqual(COLLEAGUE);
    expect(run.calls(RequestActivity.EnqueueJob)).toEqual([]);
    expectWaiting(run, RequestState.AwaitingApproval);

    await run.decide(MANAGER, false);
    expectEnded(run, RequestState.Closed, 'rejected');
  });

  it('skips approval for a pre-approved (admin bulk) request', async () => {
    const run = await RequestRun.start({ input: requestInput({ preApprovedBy: ADMIN }) });

    expect(run.calls(RequestActivity.ResolveApprovers)).toEqual([]);
    expect(run.events()).toEqual(['requested', 'approved']);
    expect(run.record('approved')).toMatchObject({
      state: RequestState.AwaitingStation,
      actor: ADMIN,
      actorKind: 'admin',
      details: { approver: ADMIN, approverSource: 'admin-bulk' },
      notify: [{ audience: 'requester', kind: 'approved' }],
    });
    expect(run.calls(RequestActivity.EnqueueJob)).toMatchObject([{ jobId: JOB_ID }]);
    // Nothing to remind anyone about.
    expect(run.driver.openTimers()).toEqual([]);
    expectWaiting(run, RequestState.AwaitingStation);
  });

  it('closes the request when nobody can approve it', async () => {
    const run = await RequestRun.start({
      handlers: {
        [RequestActivity.ResolveApprovers]: () => ({
          source: 'fallback:no-manager',
          approvers: [],
        }),
      },
    });
    expectEnded(run, RequestState.Closed, 'no-approver');
    expect(run.notifications()).toEqual(['requester:no-approver', 'it:no-approver']);
  });
});

describe('cancel by the requester', () => {
  it('closes a request waiting for approval and tells the approvers', async () => {
    const run = await RequestRun.start();
    const [reminder] = run.driver.openTimers();

    await run.requesterAction('Cancel');

    expectEnded(run, RequestState.Closed, 'cancelled');
    expect(run.record('cancelled')).toMatchObject({
      actor: REQUESTER,
      actorKind: 'requester',
      notify: [{ audience: 'approvers', kind: 'cancelled' }],
    });
    expect(run.driver.cancelledTimers()).toContain(reminder!.timerId);
    // No job was ever queued, so there is none to close.
    expect(run.calls(RequestActivity.SettleJob)).toEqual([]);
  });

  it('closes a request waiting for a station and closes its job', async () => {
    const run = await RequestRun.start();
    await run.approve();
    await run.requesterAction('Cancel');

    expectEnded(run, RequestState.Closed, 'cancelled');
    expect(run.calls(RequestActivity.SettleJob)).toEqual([
      { jobId: JOB_ID, action: 'close', reason: 'cancelled' },
    ]);
  });

  it('revokes a registered key that has not shipped yet', async () => {
    const run = await RequestRun.start();
    await run.registerKey();
    await run.requesterAction('Cancel');

    expectEnded(run, RequestState.Revoked, 'cancelled');
    expect(run.result?.methodId).toBe(METHOD_ID);
    expect(run.calls(RequestActivity.Revoke)).toEqual([
      { requestId: REQUEST_ID, jobId: JOB_ID, userId: REQUESTER.id, methodId: METHOD_ID },
    ]);
    // The requester did it: only they are told, IT need not look into it.
    expect(run.record('cancelled').notify).toEqual([{ audience: 'requester', kind: 'revoked' }]);
  });
});

describe('programming at the station', () => {
  it('sends the request back to waiting for a station when the options expired, and registers a second submission', async () => {
    const run = await RequestRun.start({
      handlers: {
        [RequestActivity.Register]: (input) =>
          (input as RegisterInput).submission.attempt === 1
            ? {
                outcome: 'refused',
                reason: 'CHALLENGE_EXPIRED',
                message: 'The challenge expired; fetch fresh options.',
                retry: true,
              }
            : registered('method-2'),
      },
    });
    await run.approve();

    await run.submit(1);
    expect(run.record('registration-refused')).toMatchObject({
      state: RequestState.AwaitingStation,
      actor: OPERATOR,
      actorKind: 'operator',
      details: { attempt: 1, reason: 'CHALLENGE_EXPIRED' },
    });
    expect(run.status.attempts).toBe(1);
    // The job stays open for the next attempt.
    expect(run.calls(RequestActivity.SettleJob)).toEqual([]);
    expectWaiting(run, RequestState.AwaitingStation);

    await run.submit(2);
    expect(
      run.calls(RequestActivity.Register).map((c) => (c as RegisterInput).submission.attempt),
    ).toEqual([1, 2]);
    expect(run.record('registered')).toMatchObject({
      state: RequestState.Registered,
      details: { attempt: 2, methodId: 'method-2', serial: 20_000_002 },
      notify: [{ audience: 'requester', kind: 'registered' }],
    });
    expect(run.status).toMatchObject({ attempts: 1, methodId: 'method-2' });
    expectWaiting(run, RequestState.Registered);
  });

  it('records a failed key and keeps waiting, and fails the request after maxStationAttempts', async () => {
    const run = await RequestRun.start();
    await run.approve();

    await run.stationFailure(1);
    expect(run.status.attempts).toBe(1);
    expect(run.record('key-failed')).toMatchObject({
      state: RequestState.AwaitingStation,
      actorKind: 'operator',
      details: { attempt: 1, reason: 'needs-reset', stationId: 'station-mailroom-1' },
    });
    // Before registration there is no credential to delete, and the queue took the job back.
    expect(run.calls(RequestActivity.Revoke)).toEqual([]);
    expect(run.calls(RequestActivity.SettleJob)).toEqual([]);
    expectWaiting(run, RequestState.AwaitingStation);

    await run.stationFailure(2, 'key-error');
    expectWaiting(run, RequestState.AwaitingStation);
    expect(run.status.attempts).toBe(2);

    await run.stationFailure(3);
    expectEnded(run, RequestState.Failed, 'too-many-attempts');
    expect(run.events().filter((e) => e === 'key-failed')).toHaveLength(3);
    expect(run.calls(RequestActivity.SettleJob)).toEqual([
      { jobId: JOB_ID, action: 'close', reason: 'too-many-attempts' },
    ]);
    expect(run.record('too-many-attempts').notify).toEqual([
      { audience: 'requester', kind: 'failed' },
      { audience: 'it', kind: 'failed' },
    ]);
  });

  it('fails the request when policy refuses the registration, telling the requester and IT', async () => {
    const run = await RequestRun.start({
      handlers: {
        [RequestActivity.Register]: () => ({
          outcome: 'refused',
          reason: 'SELF_SERVICE_DISABLED',
          message: 'Self-service passkey registration is off for this tenant.',
          retry: false,
        }),
      },
    });
    await run.approve();
    await run.submit(1);

    expectEnded(run, RequestState.Failed, 'SELF_SERVICE_DISABLED');
    expect(run.record('SELF_SERVICE_DISABLED')).toMatchObject({
      actor: OPERATOR,
      actorKind: 'operator',
      details: {
        reason: 'SELF_SERVICE_DISABLED',
        message: 'Self-service passkey registration is off for this tenant.',
        attempt: 1,
      },
      notify: [
        { audience: 'requester', kind: 'policy-refused' },
        { audience: 'it', kind: 'policy-refused' },
      ],
    });
    expect(run.calls(RequestActivity.SettleJob)).toEqual([
      { jobId: JOB_ID, action: 'close', reason: 'SELF_SERVICE_DISABLED' },
    ]);
  });

  it('retries a failing Register activity with back-off, and carries on when it recovers', async () => {
    const run = await RequestRun.start({ handlers: { [RequestActivity.Register]: null } });
    await run.approve();
    await run.submit(1);

    const first = run.driver.openActivity(RequestActivity.Register);
    expect(first.attempt).toBe(1);
    await run.driver.fail(first, new Error('Graph answered 503 Service Unavailable'));
    // The retry waits for its timer (the first interval, 5 s); nothing else moves meanwhile.
    expect(run.driver.openActivities()).toEqual([]);
    expect(run.driver.openTimers()).toMatchObject([
      { role: 'retry', fireAt: run.driver.now + 5_000 },
    ]);
    await run.driver.advance(4_999);
    expect(run.driver.openActivities()).toEqual([]);

    await run.driver.advance(1);
    const second = run.driver.openActivity(RequestActivity.Register);
    expect(second).toMatchObject({ attempt: 2, input: first.input });
    await run.driver.complete(second, registered(METHOD_ID));

    expect(run.record('registered').details).toMatchObject({ methodId: METHOD_ID, attempt: 1 });
    expect(run.events()).not.toContain('registration-refused');
    expectWaiting(run, RequestState.Registered);
  });

  it('tells the station to try again later when Graph stays unreachable through every retry', async () => {
    const run = await RequestRun.start({
      handlers: {
        [RequestActivity.Register]: () => {
          throw new Error('connect ETIMEDOUT graph.microsoft.com');
        },
      },
    });
    await run.approve();
    await run.submit(1);
    // 5, 10, 20, 40 and 80 s between the six attempts; after the last one the SDK waits out
    // one more interval (160 s) before it gives up.
    await run.driver.advance(314_999);
    expect(run.calls(RequestActivity.SettleJob)).toEqual([]);
    await run.driver.advance(1);

    expect(run.calls(RequestActivity.Register)).toHaveLength(6);
    const [settled] = run.calls(RequestActivity.SettleJob);
    expect(settled).toMatchObject({
      jobId: JOB_ID,
      action: 'outcome',
      attempt: 1,
      outcome: { outcome: 'refused', reason: 'GRAPH_UNAVAILABLE', retry: true },
    });
    expect(run.record('registration-refused').details).toMatchObject({
      reason: 'GRAPH_UNAVAILABLE',
    });
    expectWaiting(run, RequestState.AwaitingStation);
  });

  it('deletes the credential and requeues the job when the station is lost after registration', async () => {
    const run = await RequestRun.start({
      handlers: {
        [RequestActivity.Register]: (input) =>
          registered(`method-${(input as RegisterInput).submission.attempt}`),
      },
    });
    await run.approve();
    await run.submit(1);
    expect(run.status.methodId).toBe('method-1');

    // A lapsed lease that is not this registration's changes nothing.
    await run.stationLost('lease-from-another-job');
    expect(run.events().at(-1)).toBe('event-ignored');
    expect(run.calls(RequestActivity.Revoke)).toEqual([]);

    await run.stationLost(leaseId(1));
    expect(run.calls(RequestActivity.Revoke)).toEqual([
      { requestId: REQUEST_ID, jobId: JOB_ID, userId: REQUESTER.id, methodId: 'method-1' },
    ]);
    expect(run.record('station-lost')).toMatchObject({
      state: RequestState.AwaitingStation,
      details: { attempt: 1, methodId: 'method-1', stationId: 'station-mailroom-1' },
    });
    const enqueued = run.calls(RequestActivity.EnqueueJob) as EnqueueJobInput[];
    expect(enqueued).toHaveLength(2);
    expect(enqueued[0]!.requeue).toBeUndefined();
    expect(enqueued[1]).toMatchObject({ jobId: JOB_ID, requeue: { leaseId: leaseId(1) } });
    expect(run.status.methodId).toBeUndefined();
    expectWaiting(run, RequestState.AwaitingStation);

    // Another station programs a reset key: the request goes on with the new credential.
    await run.submit(2);
    await run.pinChangeConfirmed(2);
    await run.shipped(2);
    expect(run.record('shipped').details?.trackingNumber).toBe('JJD000390007754321');
    expect(run.status).toMatchObject({ methodId: 'method-2', attempts: 1 });
    expectWaiting(run, RequestState.Shipped);
  });
});

describe('a key that fails after registration', () => {
  it('has its credential deleted and the job redone', async () => {
    const run = await RequestRun.start({
      handlers: {
        [RequestActivity.Register]: (input) =>
          (input as RegisterInput).submission.attempt === 1
            ? { outcome: 'refused', reason: 'CHALLENGE_EXPIRED', message: 'expired', retry: true }
            : registered(METHOD_ID),
      },
    });
    await run.approve();
    await run.submit(1);
    await run.submit(2);
    expectWaiting(run, RequestState.Registered);

    // A late report about the earlier, refused attempt leaves the registered key alone.
    await run.stationFailure(1);
    expect(run.record('key-failed').state).toBe(RequestState.Registered);
    expect(run.calls(RequestActivity.Revoke)).toEqual([]);
    expectWaiting(run, RequestState.Registered);

    await run.stationFailure(2, 'key-error');
    expect(run.calls(RequestActivity.Revoke)).toMatchObject([{ methodId: METHOD_ID }]);
    expect(run.record('key-failed')).toMatchObject({
      state: RequestState.AwaitingStation,
      details: { attempt: 2, reason: 'key-error', methodId: METHOD_ID },
    });
    expect(run.calls(RequestActivity.EnqueueJob).at(-1)).toMatchObject({
      requeue: { leaseId: leaseId(2) },
    });
    expect(run.status.methodId).toBeUndefined();
    expectWaiting(run, RequestState.AwaitingStation);
  });
});

describe('shipping and delivery', () => {
  it('revokes the key when delivery is not confirmed within deliveryConfirmDays', async () => {
    const run = await shippedRun();
    const shippedAt = run.driver.now;
    expect(run.status.deliveryDeadline).toBe(at(shippedAt + 14 * DAY));

    await run.driver.advance(14 * DAY - 1);
    expectWaiting(run, RequestState.Shipped);
    expect(run.calls(RequestActivity.Revoke)).toEqual([]);

    await run.driver.advance(1);
    expectEnded(run, RequestState.Revoked, 'not-confirmed');
    expect(run.result?.methodId).toBe(METHOD_ID);
    expect(run.calls(RequestActivity.Revoke)).toEqual([
      { requestId: REQUEST_ID, jobId: JOB_ID, userId: REQUESTER.id, methodId: METHOD_ID },
    ]);
    expect(run.calls(RequestActivity.SettleJob)).toEqual([
      { jobId: JOB_ID, action: 'close', reason: 'not-confirmed' },
    ]);
    expect(run.record('not-confirmed')).toMatchObject({
      at: at(shippedAt + 14 * DAY),
      details: { methodId: METHOD_ID, graphRequestId: 'graph-request-revoke' },
      notify: [
        { audience: 'requester', kind: 'revoked' },
        { audience: 'it', kind: 'revoked' },
      ],
    });
  });

  it('revokes the key when the requester reports it lost on day 4 of a 14-day delivery wait', async () => {
    const run = await shippedRun();
    const shippedAt = run.driver.now;
    await run.driver.advance(4 * DAY);
    // The 14-day wait is a chain of plain timers of at most 3 days: the first leg has fired,
    // the second (ending on day 6) is pending, and no long timer exists on any backend.
    const deadline = run.driver.openTimers();
    expect(deadline).toEqual([
      { timerId: deadline[0]!.timerId, fireAt: shippedAt + 6 * DAY, role: 'user' },
    ]);

    await run.requesterAction('LostKey');
    expect(run.driver.cancelledTimers()).toContain(deadline[0]!.timerId);

    expectEnded(run, RequestState.Revoked, 'lost');
    expect(run.calls(RequestActivity.Revoke)).toMatchObject([{ methodId: METHOD_ID }]);
    expect(run.record('lost')).toMatchObject({
      actor: REQUESTER,
      actorKind: 'requester',
      notify: [{ audience: 'requester', kind: 'revoked' }],
    });
    expect(run.calls(RequestActivity.SettleJob)).toEqual([
      { jobId: JOB_ID, action: 'close', reason: 'lost' },
    ]);
  });

  it('goes the whole way: Registered, PIN change confirmed, Shipped, delivered, PIN released, Completed', async () => {
    const run = await RequestRun.start();
    await run.driver.advance(3 * HOUR);
    await run.approve();
    await run.driver.advance(DAY);
    await run.submit(1);
    expect(run.calls(RequestActivity.Register)).toEqual([
      {
        requestId: REQUEST_ID,
        jobId: JOB_ID,
        userId: REQUESTER.id,
        allowedAaguids: run.input.keyClass.allowedAaguids,
        submission: run.submission(1, { at: at(EPOCH + 27 * HOUR) }),
      } satisfies RegisterInput,
    ]);
    await run.pinChangeConfirmed(1);
    await run.driver.advance(HOUR);
    await run.shipped(1);
    await run.driver.advance(2 * DAY);
    await run.requesterAction('DeliveryConfirmed');
    await run.driver.advance(10 * 60_000);
    await run.requesterAction('PinReleased');

    expectEnded(run, RequestState.Completed, 'completed');
    expect(run.events()).toEqual([
      'requested',
      'approval-requested',
      'approved',
      'registered',
      'pin-change-confirmed',
      'shipped',
      'delivery-confirmed',
      'pin-released',
      'completed',
    ]);
    expect(run.records().map((r) => r.state)).toEqual([
      RequestState.Requested,
      RequestState.AwaitingApproval,
      RequestState.AwaitingStation,
      RequestState.Registered,
      RequestState.Registered,
      RequestState.Shipped,
      RequestState.Shipped,
      RequestState.PinReleased,
      RequestState.Completed,
    ]);
    expect(run.records().map((r) => r.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(run.notifications()).toEqual([
      'approvers:approval-requested',
      'requester:approved',
      'requester:registered',
      'requester:shipped',
      'requester:completed',
    ]);
    expect(run.record('registered').details).toMatchObject({
      methodId: METHOD_ID,
      graphRequestId: 'graph-request-register',
      aaguid: run.input.keyClass.allowedAaguids[0],
      serial: 20_000_001,
      credentialId: run.submission(1).credentialId,
    });
    expect(run.record('shipped').details).toMatchObject({
      carrier: 'PostNord',
      trackingNumber: 'JJD000390007754321',
      deadline: at(EPOCH + 28 * HOUR + 14 * DAY),
    });
    expect(run.calls(RequestActivity.SettleJob)).toEqual([
      { jobId: JOB_ID, action: 'close', reason: 'completed' },
    ]);
    expect(run.calls(RequestActivity.Revoke)).toEqual([]);
    expect(run.status).toMatchObject({
      state: RequestState.Completed,
      methodId: METHOD_ID,
      serial: 20_000_001,
      pinChangeConfirmed: true,
      trackingNumber: 'JJD000390007754321',
      deliveryConfirmed: true,
    });
  });
});

describe('events and activities interleaving', () => {
  it('keeps an approval that arrives while a refused decision is being recorded', async () => {
    const run = await RequestRun.start();
    // A reminder round first, so the decision waiter has been waited on more than once.
    await run.driver.advance(24 * HOUR);
    run.driver.handlers.delete(RequestActivity.Record);

    await run.decide(COLLEAGUE, true);
    const writing = run.driver.openActivity(RequestActivity.Record);
    expect((writing.input as RecordInput).event).toBe('decision-refused');

    await run.decide(MANAGER, true);
    run.driver.handlers.set(RequestActivity.Record, () => null);
    await run.driver.complete(writing, null);

    expect(run.events().slice(-2)).toEqual(['decision-refused', 'approved']);
    expect(run.record('approved').actor).toEqual(MANAGER);
    expectWaiting(run, RequestState.AwaitingStation);
  });

  it("keeps the requester's cancel that arrives while a forged cancel is being recorded", async () => {
    const run = await RequestRun.start();
    await run.approve();
    await run.stationFailure(1);
    run.driver.handlers.delete(RequestActivity.Record);

    await run.requesterAction('Cancel', COLLEAGUE);
    const writing = run.driver.openActivity(RequestActivity.Record);
    expect((writing.input as RecordInput).event).toBe('event-ignored');

    await run.requesterAction('Cancel');
    run.driver.handlers.set(RequestActivity.Record, () => null);
    await run.driver.complete(writing, null);

    expectEnded(run, RequestState.Closed, 'cancelled');
  });

  it('keeps station and requester events that arrive while activities are running', async () => {
    const run = await RequestRun.start({ handlers: { [RequestActivity.EnqueueJob]: null } });

    // The station claims and submits before the enqueue activity has even answered.
    await run.approve();
    const enqueue = run.driver.openActivity(RequestActivity.EnqueueJob);
    await run.submit(1);
    await run.driver.complete(enqueue, null);
    expect(run.events().at(-1)).toBe('registered');

    run.driver.handlers.delete(RequestActivity.Record);
    await run.pinChangeConfirmed(1);
    const writing = run.driver.openActivity(RequestActivity.Record);
    await run.shipped(1);
    await run.requesterAction('DeliveryConfirmed');
    run.driver.handlers.set(RequestActivity.Record, () => null);
    await run.driver.complete(writing, null);

    expect(run.events().slice(-3)).toEqual([
      'pin-change-confirmed',
      'shipped',
      'delivery-confirmed',
    ]);
    await run.requesterAction('PinReleased');
    expectEnded(run, RequestState.Completed, 'completed');
  });
});

describe('forged and stale events', () => {
  it("ignores Cancel, LostKey, DeliveryConfirmed and PinReleased that are not the requester's", async () => {
    const run = await RequestRun.start();

    await run.requesterAction('Cancel', COLLEAGUE);
    expect(run.record('event-ignored')).toMatchObject({
      state: RequestState.AwaitingApproval,
      details: { reason: 'invalid-event', message: expect.stringContaining('Cancel') },
    });
    expectWaiting(run, RequestState.AwaitingApproval);

    await run.registerKey();
    await run.shipped(1);
    await run.requesterAction('LostKey', COLLEAGUE);
    await run.requesterAction('DeliveryConfirmed', COLLEAGUE);
    expect(run.calls(RequestActivity.Revoke)).toEqual([]);
    expect(run.status.deliveryConfirmed).toBeUndefined();
    expectWaiting(run, RequestState.Shipped);

    await run.requesterAction('DeliveryConfirmed');
    await run.requesterAction('PinReleased', MANAGER);
    expectWaiting(run, RequestState.Shipped);

    const ignored = run.records().filter((r) => r.event === 'event-ignored');
    expect(ignored.map((r) => r.details?.message)).toEqual([
      'A Cancel event that does not fit this request was ignored.',
      'A LostKey event that does not fit this request was ignored.',
      'A DeliveryConfirmed event that does not fit this request was ignored.',
      'A PinReleased event that does not fit this request was ignored.',
    ]);

    await run.requesterAction('PinReleased');
    expectEnded(run, RequestState.Completed, 'completed');
  });

  it("ignores a forcePINChange confirmation or shipment under another registration's lease", async () => {
    const run = await RequestRun.start();
    await run.approve();
    await run.submit(1);

    await run.raise(RequestEvent.PinChangeConfirmed, {
      stationId: 'station-elsewhere',
      leaseId: 'lease-of-an-earlier-attempt',
      operator: COLLEAGUE,
      minPinLength: 6,
      at: at(run.driver.now),
    });
    expect(run.events().at(-1)).toBe('event-ignored');
    expect(run.status.pinChangeConfirmed).toBeUndefined();
    expectWaiting(run, RequestState.Registered);

    await run.pinChangeConfirmed(1);
    await run.raise(RequestEvent.Shipped, {
      stationId: 'station-elsewhere',
      leaseId: 'lease-of-an-earlier-attempt',
      operator: COLLEAGUE,
      carrier: 'PostNord',
      trackingNumber: 'FORGED',
      at: at(run.driver.now),
    });
    expect(run.events().at(-1)).toBe('event-ignored');
    expect(run.status.trackingNumber).toBeUndefined();
    expectWaiting(run, RequestState.Registered);
  });

  it('ignores a second submission of an attempt already registered or refused', async () => {
    const run = await RequestRun.start({
      handlers: {
        [RequestActivity.Register]: () => ({
          outcome: 'refused',
          reason: 'CHALLENGE_EXPIRED',
          message: 'expired',
          retry: true,
        }),
      },
    });
    await run.approve();
    await run.submit(1);
    await run.submit(1);
    expect(run.calls(RequestActivity.Register)).toHaveLength(1);
    expect(run.events().at(-1)).toBe('event-ignored');
  });

  it('fails the instance, saying which field, when started with an invalid input', async () => {
    const run = await RequestRun.start({ input: { ...requestInput(), requestId: 'x' } });
    expect(run.runtimeStatus).toBe('Failed');
    expect(run.driver.failure).toMatch(/Request input is invalid: requestId/);
    expect(run.calls(RequestActivity.Record)).toEqual([]);
  });
});

describe('determinism', () => {
  // One error object, so both journeys record the same stack trace in the history.
  const throttled = new Error('Graph answered 429 Too Many Requests');

  /** A journey with a reminder, refused and forged events, a retry and a lost station. */
  async function eventfulJourney(): Promise<RequestRun> {
    let registerCalls = 0;
    const run = await RequestRun.start({
      handlers: {
        [RequestActivity.Register]: (input) => {
          registerCalls += 1;
          if (registerCalls === 1) throw throttled;
          return registered(`method-${(input as RegisterInput).submission.attempt}`);
        },
      },
    });
    await run.driver.advance(30 * HOUR);
    await run.decide(REQUESTER, true);
    await run.approve();
    await run.stationFailure(1);
    await run.submit(2);
    await run.driver.advance(5_000);
    await run.stationLost(leaseId(2));
    await run.submit(3);
    await run.pinChangeConfirmed(3);
    await run.shipped(3);
    await run.requesterAction('LostKey', COLLEAGUE);
    await run.driver.advance(4 * DAY);
    await run.requesterAction('DeliveryConfirmed');
    await run.driver.advance(DAY);
    await run.requesterAction('PinReleased');
    return run;
  }

  it('replays the final history to the same actions and output, with no timer left pending', async () => {
    const run = await eventfulJourney();
    expectEnded(run, RequestState.Completed, 'completed');
    expect(run.result).toEqual({ state: RequestState.Completed, reason: 'completed' });
    // Timers were involved (reminders, deadlines, a retry): all fired or cancelled.
    expect(run.driver.cancelledTimers().length).toBeGreaterThan(3);

    const replayed = await run.driver.replay();
    expect(replayed.isDone).toBe(true);
    expect(replayed.output).toEqual(run.result);
    expect(replayed.actions).toEqual(run.driver.lastState?.actions);
    expect(replayed.customStatus).toEqual(run.status);
  });

  it('produces the same history from the same input and events', async () => {
    const first = await eventfulJourney();
    const second = await eventfulJourney();
    expect(second.driver.history).toEqual(first.driver.history);
  });
});

describe('attempt counting', () => {
  it('counts failures itself, so a station reporting a huge attempt number cannot fail the request', async () => {
    const run = await RequestRun.start();
    await run.approve();
    await run.stationFailure(99);
    expect(run.status.attempts).toBe(1);
    expectWaiting(run, RequestState.AwaitingStation);
  });
});
