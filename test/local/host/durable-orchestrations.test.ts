import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HistoryEventType } from '../../../local/host/durable/history-event.ts';
import type { InstanceRecord } from '../../../local/host/durable/instance-record.ts';
import { closeGate, journal } from './fixtures/sample-app/journal.ts';
import {
  EPOCH,
  calls,
  expectHostMirrorsSdk,
  isTerminal,
  removeTemporaryFolders,
  startSampleHost,
  type SampleHost,
} from './support/sample-host.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let sample: SampleHost;

beforeAll(async () => {
  sample = await startSampleHost();
});
afterAll(async () => {
  await sample.close();
  removeTemporaryFolders();
});
afterEach(() => {
  journal().length = 0;
});

function engine() {
  return sample.host.engine;
}

async function start(name: string, instanceId: string, input?: unknown): Promise<void> {
  const result = await engine().startNew(name, {
    instanceId,
    ...(input !== undefined ? { input: JSON.stringify(input) } : {}),
  });
  expect(result).toEqual({ kind: 'started', instanceId });
}

function earliestTimer(record: InstanceRecord): number | undefined {
  const times = Object.values(record.shim.open).flatMap((t) =>
    t.kind === 'timer' ? [Date.parse(t.fireAt)] : [],
  );
  return times.length ? Math.min(...times) : undefined;
}

/**
 * Waits until the instance waits on a timer that is still in the future, then moves the clock
 * exactly to its fire time; returns that time, or undefined if the instance finished instead.
 */
async function fireNextTimerOrFinish(instanceId: string): Promise<number | undefined> {
  const now = sample.clock!.now();
  const record = await sample.waitFor(
    instanceId,
    (r) => isTerminal(r) || (earliestTimer(r) ?? -Infinity) > now,
  );
  if (isTerminal(record)) return undefined;
  const at = earliestTimer(record)!;
  sample.clock!.set(at);
  return at;
}

async function fireNextTimer(instanceId: string): Promise<number> {
  const at = await fireNextTimerOrFinish(instanceId);
  if (at === undefined) throw new Error(`${instanceId} finished instead of waiting on a timer.`);
  return at;
}

function approvalInput(requestId: string) {
  return { requestId, reminderHours: 4, maxReminders: 2 };
}

const raise = (instanceId: string, data: unknown) =>
  engine().raiseEvent(instanceId, 'Approval', JSON.stringify(data));

describe('the approval pattern, replayed by durable-functions', () => {
  it('completes when the manager approves before the first reminder, cancelling the timer', async () => {
    sample.clock!.set(EPOCH);
    await start('approval', 'approve-early', approvalInput('approve-early'));
    await sample.waitFor('approve-early', (r) => earliestTimer(r) === EPOCH + 4 * HOUR);
    expect(await raise('approve-early', { approved: true, by: 'manager' })).toBe('accepted');

    const done = await sample.waitFor('approve-early', isTerminal);
    expect(done.runtimeStatus).toBe('Completed');
    expect(done.output).toEqual({
      outcome: 'approved',
      by: 'manager',
      at: new Date(EPOCH).toISOString(),
    });
    expect(done.customStatus).toEqual({ stage: 'approved' });
    expect(done.shim.open).toEqual({});
    expect(calls('sendReminder')).toHaveLength(0);
    expectHostMirrorsSdk(done);
    // The orchestrator saw the timer, then the event; the timer never fired.
    const types = done.history.map((e) => e.EventType);
    expect(types).toContain(HistoryEventType.TimerCreated);
    expect(types).not.toContain(HistoryEventType.TimerFired);
    expect(await raise('approve-early', { approved: false })).toBe('gone');
  });

  it('sends a reminder each time the timer wins, then completes on approval', async () => {
    sample.clock!.set(EPOCH);
    await start('approval', 'remind-twice', approvalInput('remind-twice'));
    expect(await fireNextTimer('remind-twice')).toBe(EPOCH + 4 * HOUR);
    await sample.waitFor('remind-twice', (r) => earliestTimer(r) === EPOCH + 8 * HOUR);
    expect((await sample.waitFor('remind-twice', () => true)).customStatus).toEqual({
      stage: 'awaiting approval',
      reminders: 1,
    });
    expect(await fireNextTimer('remind-twice')).toBe(EPOCH + 8 * HOUR);
    await sample.waitFor('remind-twice', (r) => earliestTimer(r) === EPOCH + 12 * HOUR);
    await raise('remind-twice', { approved: true, by: 'skip-level' });

    const done = await sample.waitFor('remind-twice', isTerminal);
    expect(done.output).toEqual({
      outcome: 'approved',
      by: 'skip-level',
      at: new Date(EPOCH + 8 * HOUR).toISOString(),
    });
    expect(calls('sendReminder').map((c) => c.input)).toEqual([
      { requestId: 'remind-twice', reminder: 1 },
      { requestId: 'remind-twice', reminder: 2 },
    ]);
    expectHostMirrorsSdk(done);
  });

  it('expires after the last reminder when nobody answers', async () => {
    sample.clock!.set(EPOCH);
    await start('approval', 'nobody-home', approvalInput('nobody-home'));
    for (const hours of [4, 8, 12]) {
      expect(await fireNextTimer('nobody-home')).toBe(EPOCH + hours * HOUR);
    }
    const done = await sample.waitFor('nobody-home', isTerminal);
    expect(done.output).toEqual({
      outcome: 'expired',
      at: new Date(EPOCH + 12 * HOUR).toISOString(),
    });
    expect(done.customStatus).toEqual({ stage: 'expired' });
    expect(calls('sendReminder')).toHaveLength(2);
    expectHostMirrorsSdk(done);
  });

  it('does not lose an approval that arrives while a reminder is being sent', async () => {
    sample.clock!.set(EPOCH);
    const openGate = closeGate('sendReminder');
    try {
      await start('approval', 'busy-approver', approvalInput('busy-approver'));
      await fireNextTimer('busy-approver');
      await waitUntil(() => calls('sendReminder').length === 1);
      await raise('busy-approver', { approved: true, by: 'manager' });
      await sample.waitFor('busy-approver', (r) =>
        r.history.some((e) => e.EventType === HistoryEventType.EventRaised),
      );
    } finally {
      openGate();
    }
    const done = await sample.waitFor('busy-approver', isTerminal);
    expect(done.output).toMatchObject({ outcome: 'approved', by: 'manager' });
    expect(calls('sendReminder')).toHaveLength(1);
  });

  it('buffers an event raised before the orchestration waits for it', async () => {
    sample.clock!.set(EPOCH);
    await start('lateListener', 'early-bird');
    await sample.waitFor('early-bird', (r) => earliestTimer(r) !== undefined);
    expect(await engine().raiseEvent('early-bird', 'Go', '{"early":true}')).toBe('accepted');
    await sample.waitFor('early-bird', (r) =>
      r.history.some((e) => e.EventType === HistoryEventType.EventRaised),
    );
    await fireNextTimer('early-bird');
    const done = await sample.waitFor('early-bird', isTerminal);
    expect(done.output).toEqual({
      data: { early: true },
      at: new Date(EPOCH + HOUR).toISOString(),
    });
  });

  it('terminates a waiting instance and drops its timers', async () => {
    sample.clock!.set(EPOCH);
    await start('approval', 'cancel-me', approvalInput('cancel-me'));
    await sample.waitFor('cancel-me', (r) => earliestTimer(r) !== undefined);
    expect(await engine().terminate('cancel-me', 'requester withdrew')).toBe('accepted');
    const done = await sample.waitFor('cancel-me', isTerminal);
    expect(done.runtimeStatus).toBe('Terminated');
    expect(done.output).toBe('requester withdrew');
    expect(done.shim.open).toEqual({});
    sample.clock!.set(EPOCH + 5 * HOUR);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(engine().get('cancel-me')!.history.at(-1)!.EventType).toBe(
      HistoryEventType.OrchestratorCompleted,
    );
    expect(calls('sendReminder')).toHaveLength(0);
    expect(await engine().terminate('cancel-me', 'again')).toBe('gone');
    expect(await engine().terminate('no-such-instance', 'x')).toBe('notFound');
  });
});

describe('activities, retries and timers', () => {
  it('runs two activities in sequence', async () => {
    await start('greet', 'greet-ada', 'Ada');
    const done = await sample.waitFor('greet-ada', isTerminal);
    expect(done.output).toBe('HELLO ADA!');
    expect(done.history.map((e) => e.EventType)).toEqual([
      HistoryEventType.OrchestratorStarted,
      HistoryEventType.ExecutionStarted,
      HistoryEventType.TaskScheduled,
      HistoryEventType.OrchestratorCompleted,
      HistoryEventType.OrchestratorStarted,
      HistoryEventType.TaskCompleted,
      HistoryEventType.TaskScheduled,
      HistoryEventType.OrchestratorCompleted,
      HistoryEventType.OrchestratorStarted,
      HistoryEventType.TaskCompleted,
      HistoryEventType.ExecutionCompleted,
      HistoryEventType.OrchestratorCompleted,
    ]);
  });

  it('retries failing activities with the retry options, numbering tasks as the SDK does', async () => {
    sample.clock!.set(EPOCH);
    await start('resilient', 'retry-1', 'retry-1');
    const fired: number[] = [];
    for (let at = await fireNextTimerOrFinish('retry-1'); at !== undefined;) {
      fired.push(at - EPOCH);
      at = await fireNextTimerOrFinish('retry-1');
    }
    const done = await sample.waitFor('retry-1', isTerminal);
    expect(done.runtimeStatus).toBe('Completed');
    const output = done.output as { flaky: unknown; failure: string };
    expect(output.flaky).toEqual({ attempt: 3 });
    expect(output.failure).toContain("Activity function 'alwaysFails' failed:");
    expect(output.failure).toContain('the courier van is out of fuel');
    // flakyStep: two failures, each followed by a 1 s retry timer; alwaysFails: two attempts,
    // each failure followed by a 0.5 s timer (the SDK waits out the last one too).
    expect(fired).toEqual([1000, 2000, 2500, 3000]);
    expect(calls('flakyStep', (i) => (i as { key: string }).key === 'retry-1')).toHaveLength(3);
    expect(calls('alwaysFails')).toHaveLength(2);
    const scheduled = done.history
      .filter(
        (e) =>
          e.EventType === HistoryEventType.TaskScheduled ||
          e.EventType === HistoryEventType.TimerCreated,
      )
      .map((e) => e.EventId);
    expect(scheduled).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expectHostMirrorsSdk(done);
  });

  it('numbers fan-out tasks like the SDK when completions and retries arrive together', async () => {
    sample.clock!.set(EPOCH);
    await start('fanOut', 'fan-out', 'fan-out');
    for (let at = await fireNextTimerOrFinish('fan-out'); at !== undefined;) {
      at = await fireNextTimerOrFinish('fan-out');
    }
    const done = await sample.waitFor('fan-out', isTerminal);
    expect(done.output).toEqual(['Hello one', { attempt: 3 }, 'Hello two', null, { attempt: 2 }]);
    expectHostMirrorsSdk(done);
  });

  it('splits a seven-day timer into legs, as on the Azure Storage backend', async () => {
    sample.clock!.set(EPOCH);
    await start('longWait', 'week', 7);
    expect(await fireNextTimer('week')).toBe(EPOCH + 3 * DAY);
    expectHostMirrorsSdk(await sample.waitFor('week', (r) => earliestTimer(r) === EPOCH + 7 * DAY));
    expect(await fireNextTimer('week')).toBe(EPOCH + 7 * DAY);
    const done = await sample.waitFor('week', isTerminal);
    expect(done.output).toEqual({
      started: new Date(EPOCH).toISOString(),
      woke: new Date(EPOCH + 7 * DAY).toISOString(),
    });
    expect(done.history.filter((e) => e.EventType === HistoryEventType.TimerFired)).toHaveLength(2);
  });

  it('runs a sub-orchestration and continues as new', async () => {
    await start('parent', 'parent-1');
    const done = await sample.waitFor('parent-1', isTerminal);
    expect(done.output).toEqual({ child: 'HELLO CHILD!', effect: 'done parent' });
    const child = engine().get('parent-1:0000');
    expect(child?.runtimeStatus).toBe('Completed');
    expect(child?.parent).toMatchObject({ instanceId: 'parent-1', taskId: 0 });

    sample.clock!.set(EPOCH);
    await start('countdown', 'countdown-3', 3);
    for (let generation = 0; generation < 3; generation++) await fireNextTimer('countdown-3');
    const counted = await sample.waitFor('countdown-3', isTerminal);
    expect(counted.output).toBe('liftoff');
    expect(JSON.parse(counted.input!)).toBe(0);
    expect(counted.history.filter((e) => e.EventType === HistoryEventType.TimerCreated)).toEqual(
      [],
    );
  });

  it('lets an activity start an orchestration through its durable client binding', async () => {
    await start('delegate', 'delegator');
    const done = await sample.waitFor('delegator', isTerminal);
    expect(done.output).toBe('delegator-greeting');
    const greeting = await sample.waitFor('delegator-greeting', isTerminal);
    expect(greeting.output).toBe('HELLO DELEGATE!');
  });

  it('holds events while suspended and delivers them on resume', async () => {
    sample.clock!.set(EPOCH);
    await start('approval', 'on-hold', approvalInput('on-hold'));
    await sample.waitFor('on-hold', (r) => earliestTimer(r) !== undefined);
    expect(await engine().suspend('on-hold', 'audit')).toBe('accepted');
    await sample.waitFor('on-hold', (r) => r.runtimeStatus === 'Suspended');
    await raise('on-hold', { approved: true, by: 'manager' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(engine().get('on-hold')!.runtimeStatus).toBe('Suspended');
    expect(engine().get('on-hold')!.inbox).toHaveLength(1);
    expect(await engine().resume('on-hold', 'audit done')).toBe('accepted');
    const done = await sample.waitFor('on-hold', isTerminal);
    expect(done.output).toMatchObject({ outcome: 'approved' });
    expect(done.inbox).toEqual([]);
    const types = done.history.map((e) => e.EventType);
    expect(types.indexOf(HistoryEventType.ExecutionSuspended)).toBeLessThan(
      types.indexOf(HistoryEventType.ExecutionResumed),
    );
  });

  it('captures entity registrations but fails orchestrations that call entities, saying why', async () => {
    expect(sample.host.functions).toContainEqual({
      name: 'counter',
      kind: 'entity',
      trigger: 'entityTrigger',
    });
    await start('usesEntity', 'entity-user');
    const done = await sample.waitFor('entity-user', isTerminal);
    expect(done.runtimeStatus).toBe('Failed');
    expect(done.output).toBe(
      "Orchestrator function 'usesEntity' failed: Durable entities are not supported by the local host (callEntity, signalEntity and entity locks).",
    );
  });

  it('fails clearly when a yielded timer is reused in a later Task.any, instead of hanging', async () => {
    sample.clock!.set(EPOCH);
    await start('reusedDeadline', 'reused');
    await fireNextTimer('reused');
    const done = await sample.waitFor('reused', isTerminal);
    expect(done.runtimeStatus).toBe('Failed');
    expect(done.output).toContain('Non-deterministic workflow detected');
    expect(done.output).toContain('azure-functions-durable-js#574');
  });

  it('fails the instance when orchestrator code throws, keeping its custom status', async () => {
    await start('broken', 'broken-1');
    const done = await sample.waitFor('broken-1', isTerminal);
    expect(done.runtimeStatus).toBe('Failed');
    expect(done.output).toBe("Orchestrator function 'broken' failed: the orchestrator gave up");
    expect(done.customStatus).toBe('about to fail');
  });

  it('refuses unknown orchestrators, bad ids and a second start of a running id', async () => {
    expect(await engine().startNew('nope')).toMatchObject({ kind: 'unknownFunction' });
    expect(await engine().startNew('greet', { instanceId: 'a/b' })).toMatchObject({
      kind: 'invalidInstanceId',
    });
    expect(await engine().startNew('greet', { instanceId: '@entity' })).toMatchObject({
      kind: 'invalidInstanceId',
    });
    sample.clock!.set(EPOCH);
    await start('approval', 'once', approvalInput('once'));
    expect(await engine().startNew('approval', { instanceId: 'once' })).toEqual({
      kind: 'conflict',
      instanceId: 'once',
      status: expect.stringMatching(/Pending|Running/) as unknown,
    });
    await engine().terminate('once', 'done');
    await sample.waitFor('once', isTerminal);
    // A finished id may be reused: a new execution replaces the old one.
    await start('greet', 'once', 'again');
    const again = await sample.waitFor('once', (r) => r.runtimeStatus === 'Completed');
    expect(again.output).toBe('HELLO AGAIN!');
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('The condition did not become true in time.');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
