import { randomUUID } from 'node:crypto';
import {
  HistoryEventType,
  OrchestrationStatusCode,
  historyEvent,
  type FailureDetailsPayload,
  type HistoryEvent,
  type HistoryEventTypeValue,
} from './history-event.ts';
import {
  emptyShimState,
  type InstanceMessage,
  type InstanceRecord,
  type RetryChain,
  type RuntimeStatus,
  type ShimState,
} from './instance-record.ts';
import {
  ActionType,
  ReplaySchema,
  type ActionJson,
  type OrchestratorStateJson,
} from './orchestrator-state.ts';
import { customStatusProblem, payloadProblem, timerProblem } from './durable-limits.ts';
import { retryDelay } from './retry-delay.ts';

/** The backend's timer limits, announced to the SDK and applied to long timers the same way. */
export interface TimerPolicy {
  /** Timers further out than this are split into legs (Azure Storage: 6 days). */
  maximumShortTimerMs: number;
  /** The length of each leg of a long timer (Azure Storage: 3 days). */
  longRunningTimerIntervalMs: number;
  /**
   * Timers further out than this fail the orchestration (the local host's default: 3 days), so
   * an app never depends on long timers, whose legs and cancellation differ between backends.
   * Undefined allows them (to test the leg machinery itself).
   */
  maximumTimerMs?: number;
}

/** Work the engine starts once the episode is committed. */
export type EpisodeEffect =
  | { kind: 'runActivity'; taskId: number }
  | { kind: 'armTimer'; timerId: number; fireAt: number }
  | { kind: 'cancelTimer'; timerId: number }
  | { kind: 'startSubOrchestration'; taskId: number };

/** The orchestration trigger's value: DurableOrchestrationBindingInfo as the extension sends it. */
export interface OrchestrationBinding {
  history: HistoryEvent[];
  input: unknown;
  instanceId: string;
  isReplaying: boolean;
  parentInstanceId?: string;
  upperSchemaVersion: number;
  upperSchemaVersionNew: number;
  maximumShortTimerDuration: string;
  longRunningTimerIntervalDuration: string;
  defaultHttpAsyncRequestSleepTimeMillseconds: number;
}

/** Raised while applying actions the host cannot run; it fails the orchestration, as the host does. */
export class EpisodeFailure extends Error {
  override name = 'EpisodeFailure';
}

/**
 * One orchestration episode, the host's side of replay (what the Durable extension's out-of-proc
 * shim and DurableTask.Core do in Azure). The SDK runs the orchestrator over the full history and
 * returns every action it has ever scheduled; this class
 *  - appends the new history events (completions, timer firings, external events),
 *  - mirrors the sequence numbers the SDK assigns, so completions carry the ids it expects, and
 *  - turns actions the SDK had not scheduled before into scheduling events and work.
 *
 * Sequence numbers: the SDK numbers each activity, timer and sub-orchestration 0, 1, 2… when the
 * orchestrator first yields it (children of Task.any/all depth-first), and also *while processing
 * certain events*: a retried task's failure takes a number for the retry timer, that timer's
 * firing takes one for the next attempt, and a leg of a long timer firing takes one for the next
 * leg. Such an event never resumes the orchestrator, so delivering those events first, then the
 * others, means every number taken during event processing precedes every number taken by code
 * the events resume — the host can assign both in the same order the SDK will.
 *
 * Pure: no I/O, no clock reads; the caller passes "now" (possibly accelerated time).
 */
export class OrchestrationEpisode {
  readonly timestamp: string;
  readonly nowMs: number;
  /** Client messages (by seq) that this episode put into the history or otherwise settled. */
  readonly consumed = new Set<number>();

  private readonly record: InstanceRecord;
  private readonly policy: TimerPolicy;
  private readonly appended: HistoryEvent[] = [];
  private readonly effects: EpisodeEffect[] = [];
  private readonly shim: ShimState;
  private status: RuntimeStatus;
  private output: unknown;
  private customStatus: unknown;
  private delivered = 0;
  private continuedAsNewWith: { input: string | undefined } | undefined;

  constructor(record: InstanceRecord, now: number, policy: TimerPolicy) {
    this.record = record;
    this.policy = policy;
    // Never earlier than the last episode: the SDK's currentUtcDateTime must not go backwards.
    this.nowMs = Math.max(now, Date.parse(record.lastUpdatedTime));
    this.timestamp = new Date(this.nowMs).toISOString();
    this.shim = {
      hasRun: record.shim.hasRun,
      nextSequence: record.shim.nextSequence,
      actionCount: record.shim.actionCount,
      signatures: record.shim.signatures,
      open: { ...record.shim.open },
    };
    this.status = record.runtimeStatus;
    this.output = record.output;
    this.customStatus = record.customStatus;
    this.append(HistoryEventType.OrchestratorStarted);
    if (record.history.length === 0) {
      this.append(HistoryEventType.ExecutionStarted, {
        Name: record.name,
        Input: record.input,
        ...(record.version !== undefined ? { Version: record.version } : {}),
        ...(record.parent
          ? {
              ParentInstance: {
                InstanceId: record.parent.instanceId,
                TaskScheduledId: record.parent.taskId,
              },
            }
          : {}),
      });
    }
  }

  get runtimeStatus(): RuntimeStatus {
    return this.status;
  }

  get isTerminal(): boolean {
    return this.status === 'Completed' || this.status === 'Failed' || this.status === 'Terminated';
  }

  /** True when the orchestrator has something new to see: its first run, or delivered messages. */
  get needsOrchestrator(): boolean {
    return !this.isTerminal && (!this.shim.hasRun || this.delivered > 0);
  }

  /** The sequence numbers of the tasks the host expects the orchestrator to be waiting on. */
  openTaskIds(): number[] {
    return Object.keys(this.shim.open).map(Number);
  }

  /** True when committing would record nothing but an empty OrchestratorStarted/Completed pair. */
  get isEmpty(): boolean {
    return this.appended.length === 1 && this.consumed.size === 0;
  }

  terminate(seq: number, reason: string | undefined): void {
    this.consumed.add(seq);
    if (this.isTerminal) return;
    this.append(HistoryEventType.ExecutionTerminated, { Input: reason ?? '' });
    this.append(HistoryEventType.ExecutionCompleted, {
      OrchestrationStatus: OrchestrationStatusCode.Terminated,
      Result: reason ?? '',
    });
    this.finish('Terminated', reason ?? '');
  }

  suspend(seq: number, reason: string | undefined): void {
    this.consumed.add(seq);
    if (this.isTerminal || this.status === 'Suspended') return;
    this.append(HistoryEventType.ExecutionSuspended, { Reason: reason ?? '' });
    this.status = 'Suspended';
  }

  resume(seq: number, reason: string | undefined): void {
    this.consumed.add(seq);
    if (this.status !== 'Suspended') return;
    this.append(HistoryEventType.ExecutionResumed, { Reason: reason ?? '' });
    this.status = 'Running';
  }

  /** Appends completions and external events; see the class comment for the order. */
  deliver(messages: readonly InstanceMessage[]): void {
    const first: InstanceMessage[] = [];
    const rest: InstanceMessage[] = [];
    for (const message of messages)
      (this.takesSequenceNumber(message) ? first : rest).push(message);
    for (const message of first) this.apply(message);
    for (const message of rest) this.apply(message);
  }

  binding(): OrchestrationBinding {
    const record = this.record;
    return {
      history: record.history.concat(this.appended),
      input: record.input === undefined ? undefined : (JSON.parse(record.input) as unknown),
      instanceId: record.instanceId,
      isReplaying: record.history.length > 0,
      ...(record.parent ? { parentInstanceId: record.parent.instanceId } : {}),
      // V3 for SDKs that only read upperSchemaVersion; V4 (entity locks) for those reading …New.
      upperSchemaVersion: ReplaySchema.V3,
      upperSchemaVersionNew: ReplaySchema.V4,
      maximumShortTimerDuration: timeSpan(this.policy.maximumShortTimerMs),
      longRunningTimerIntervalDuration: timeSpan(this.policy.longRunningTimerIntervalMs),
      defaultHttpAsyncRequestSleepTimeMillseconds: 30_000,
    };
  }

  /** Applies what the orchestrator handler returned. Throws EpisodeFailure for unsupported use. */
  applyState(state: OrchestratorStateJson): void {
    if (state.schemaVersion < ReplaySchema.V2 || state.actions.length > 1) {
      throw new EpisodeFailure(
        `The orchestrator answered with replay schema ${state.schemaVersion}, but the host asked for V3 or later.`,
      );
    }
    this.shim.hasRun = true;
    const actions = state.actions[0] ?? [];
    this.checkDeterminism(actions);
    this.applyCancellations(actions);
    let continueAsNew: ActionJson | undefined;
    const signatures = [...this.shim.signatures];
    for (let index = this.shim.actionCount; index < actions.length; index++) {
      const action = actions[index]!;
      if (action.actionType === ActionType.ContinueAsNew) continueAsNew = action;
      this.schedule(action, [index]);
      signatures.push(signature(action));
    }
    this.shim.signatures = signatures;
    this.shim.actionCount = actions.length;
    const statusProblem = customStatusProblem(state.customStatus);
    if (statusProblem) throw new EpisodeFailure(statusProblem);
    this.customStatus = state.customStatus ?? null;
    if (this.status === 'Pending' || this.status === 'ContinuedAsNew') this.status = 'Running';
    if (!state.isDone) return;
    if (continueAsNew) {
      this.continuedAsNewWith = { input: encodeInput(continueAsNew.input) };
      this.cancelOpenTasks();
      this.status = 'ContinuedAsNew';
      return;
    }
    const result = JSON.stringify(state.output ?? null);
    const outputProblem = payloadProblem(
      `The output of orchestration '${this.record.name}'`,
      result,
    );
    if (outputProblem) throw new EpisodeFailure(outputProblem);
    this.append(HistoryEventType.ExecutionCompleted, {
      OrchestrationStatus: OrchestrationStatusCode.Completed,
      Result: result,
    });
    this.finish('Completed', state.output ?? null);
  }

  /** The orchestrator threw (or the host refused its actions): the instance fails. */
  applyFailure(
    message: string,
    options: { customStatus?: unknown; failureDetails?: FailureDetailsPayload } = {},
  ): void {
    this.shim.hasRun = true;
    if ('customStatus' in options) this.customStatus = options.customStatus ?? null;
    const output = `Orchestrator function '${this.record.name}' failed: ${message}`;
    this.append(HistoryEventType.ExecutionCompleted, {
      OrchestrationStatus: OrchestrationStatusCode.Failed,
      Result: output,
      ...(options.failureDetails ? { FailureDetails: options.failureDetails } : {}),
    });
    this.finish('Failed', output);
  }

  /** The instance record after this episode, and the work the engine starts for it. */
  commit(): { record: InstanceRecord; effects: EpisodeEffect[] } {
    const record = this.record;
    if (this.continuedAsNewWith) {
      return {
        record: {
          ...record,
          executionId: randomUUID(),
          input: this.continuedAsNewWith.input,
          runtimeStatus: 'ContinuedAsNew',
          lastUpdatedTime: this.timestamp,
          customStatus: null,
          output: null,
          history: [],
          shim: emptyShimState(),
        },
        // Only the old execution's cancellations: its new work belongs to no execution now.
        effects: this.effects.filter((effect) => effect.kind === 'cancelTimer'),
      };
    }
    this.append(HistoryEventType.OrchestratorCompleted);
    return {
      record: {
        ...record,
        runtimeStatus: this.status,
        lastUpdatedTime: this.timestamp,
        customStatus: this.customStatus,
        output: this.output,
        history: record.history.concat(this.appended),
        shim: this.shim,
      },
      effects: this.effects,
    };
  }

  private append(
    type: HistoryEventTypeValue,
    fields?: Parameters<typeof historyEvent>[2],
  ): HistoryEvent {
    const event = historyEvent(type, this.timestamp, fields);
    this.appended.push(event);
    return event;
  }

  private finish(status: RuntimeStatus, output: unknown): void {
    this.status = status;
    this.output = output;
    this.cancelOpenTasks();
  }

  private cancelOpenTasks(): void {
    for (const [id, task] of Object.entries(this.shim.open)) {
      if (task.kind === 'timer') this.effects.push({ kind: 'cancelTimer', timerId: Number(id) });
    }
    this.shim.open = {};
  }

  private takesSequenceNumber(message: InstanceMessage): boolean {
    switch (message.kind) {
      case 'taskFailed':
      case 'subOrchestrationFailed':
        return this.shim.open[message.taskId]?.retry !== undefined;
      case 'timerFired': {
        const task = this.shim.open[message.timerId];
        if (task?.kind !== 'timer') return false;
        if (task.role === 'retry')
          return task.retry!.attempt <= task.retry!.options.maxNumberOfAttempts;
        if (task.role === 'long') return Date.parse(task.finalFireAt!) > this.nowMs;
        return false;
      }
      default:
        return false;
    }
  }

  private apply(message: InstanceMessage): void {
    const open = this.shim.open;
    switch (message.kind) {
      case 'eventRaised':
        this.consumed.add(message.seq);
        this.append(HistoryEventType.EventRaised, {
          Name: message.name,
          ...(message.input !== undefined ? { Input: message.input } : {}),
        });
        this.delivered++;
        return;
      case 'taskCompleted':
      case 'taskFailed': {
        const task = open[message.taskId];
        // A result for a task no longer open is a duplicate (an activity retried after a
        // restart) or belongs to a finished execution: the history already has what it needs.
        if (task?.kind !== 'activity') return;
        delete open[message.taskId];
        this.delivered++;
        if (message.kind === 'taskCompleted') {
          this.append(HistoryEventType.TaskCompleted, {
            TaskScheduledId: message.taskId,
            Result: message.result,
          });
          return;
        }
        this.append(HistoryEventType.TaskFailed, failureFields(message.taskId, message));
        if (task.retry) this.scheduleRetryTimer(task.retry);
        return;
      }
      case 'subOrchestrationCompleted':
      case 'subOrchestrationFailed': {
        const task = open[message.taskId];
        if (task?.kind !== 'subOrchestration') return;
        delete open[message.taskId];
        this.delivered++;
        if (message.kind === 'subOrchestrationCompleted') {
          this.append(HistoryEventType.SubOrchestrationInstanceCompleted, {
            TaskScheduledId: message.taskId,
            Result: message.result,
          });
          return;
        }
        this.append(
          HistoryEventType.SubOrchestrationInstanceFailed,
          failureFields(message.taskId, message),
        );
        if (task.retry) this.scheduleRetryTimer(task.retry);
        return;
      }
      case 'timerFired': {
        const task = open[message.timerId];
        if (task?.kind !== 'timer') return;
        delete open[message.timerId];
        this.delivered++;
        this.append(HistoryEventType.TimerFired, { TimerId: message.timerId, FireAt: task.fireAt });
        if (task.role === 'retry') {
          const chain = task.retry!;
          if (chain.attempt <= chain.options.maxNumberOfAttempts) this.scheduleAttempt(chain);
        } else if (task.role === 'long') {
          const finalFireAt = Date.parse(task.finalFireAt!);
          if (finalFireAt > this.nowMs) this.scheduleTimer(finalFireAt, task.path, true);
        }
        return;
      }
      default:
        // Control messages are handled by terminate/suspend/resume before delivery.
        return;
    }
  }

  /** After a retried task fails: the wait before the next attempt (the SDK's NoOp timer task). */
  private scheduleRetryTimer(chain: RetryChain): void {
    const next: RetryChain = { ...chain, attempt: chain.attempt + 1 };
    const id = this.shim.nextSequence++;
    const fireAt = this.nowMs + retryDelay(chain.options, chain.attempt - 1);
    const fireAtText = new Date(fireAt).toISOString();
    this.append(HistoryEventType.TimerCreated, { EventId: id, FireAt: fireAtText });
    this.shim.open[id] = { kind: 'timer', role: 'retry', fireAt: fireAtText, retry: next };
    this.effects.push({ kind: 'armTimer', timerId: id, fireAt });
  }

  /** After the retry timer fires: the next attempt (the SDK's second NoOp task). */
  private scheduleAttempt(chain: RetryChain): void {
    const id = this.shim.nextSequence++;
    const target = chain.target;
    if (target.kind === 'activity') {
      this.openActivity(id, target.name, target.input, chain);
    } else {
      this.openSubOrchestration(id, target.name, target.instanceId, target.input, undefined, chain);
    }
  }

  private checkDeterminism(actions: readonly ActionJson[]): void {
    const applied = this.shim.signatures;
    const mismatch =
      actions.length < applied.length
        ? applied.length
        : applied.findIndex((expected, index) => signature(actions[index]!) !== expected);
    if (mismatch === -1) return;
    const found = actions[mismatch] ? signature(actions[mismatch]) : 'nothing';
    throw new EpisodeFailure(
      `Non-deterministic workflow detected: action ${mismatch} was ${applied[mismatch] ?? 'absent'} in an earlier replay and is ${found} now. Was the orchestrator changed while this instance was running, or does it depend on something other than its input and context.df?`,
    );
  }

  /** `timer.cancel()` only flips `isCanceled` on the action: find those and disarm them. */
  private applyCancellations(actions: readonly ActionJson[]): void {
    for (const [id, task] of Object.entries(this.shim.open)) {
      if (task.kind !== 'timer' || !task.path) continue;
      if (actionAt(actions, task.path)?.isCanceled) {
        delete this.shim.open[id];
        this.effects.push({ kind: 'cancelTimer', timerId: Number(id) });
      }
    }
  }

  private schedule(action: ActionJson, path: number[]): void {
    switch (action.actionType) {
      case ActionType.CallActivity:
      case ActionType.CallActivityWithRetry: {
        const id = this.shim.nextSequence++;
        const name = requireName(action);
        const input = encodeInput(action.input);
        const tooBig = payloadProblem(`The input of activity '${name}'`, input);
        if (tooBig) throw new EpisodeFailure(tooBig);
        const retry =
          action.actionType === ActionType.CallActivityWithRetry
            ? retryChain(action, { kind: 'activity', name, ...optional('input', input) })
            : undefined;
        this.openActivity(id, name, input, retry);
        return;
      }
      case ActionType.CallSubOrchestrator:
      case ActionType.CallSubOrchestratorWithRetry: {
        const id = this.shim.nextSequence++;
        const name = requireName(action);
        // Unlike activity inputs, the SDK does not pre-encode sub-orchestration inputs.
        const input = action.input === undefined ? undefined : JSON.stringify(action.input);
        const retry =
          action.actionType === ActionType.CallSubOrchestratorWithRetry
            ? retryChain(action, {
                kind: 'subOrchestration',
                name,
                ...optional('input', input),
                ...optional('instanceId', action.instanceId || undefined),
              })
            : undefined;
        this.openSubOrchestration(id, name, action.instanceId, input, action.version, retry);
        return;
      }
      case ActionType.CreateTimer: {
        const fireAt = Date.parse(action.fireAt ?? '');
        if (Number.isNaN(fireAt)) {
          throw new EpisodeFailure(
            `A timer action has no valid fireAt (${String(action.fireAt)}).`,
          );
        }
        const tooLong = timerProblem(fireAt, this.nowMs, this.policy.maximumTimerMs);
        if (tooLong) throw new EpisodeFailure(tooLong);
        if (action.isCanceled) {
          // Created and cancelled within one episode: the SDK still numbered it.
          const id = this.shim.nextSequence++;
          this.append(HistoryEventType.TimerCreated, {
            EventId: id,
            FireAt: new Date(fireAt).toISOString(),
          });
          return;
        }
        this.scheduleTimer(fireAt, path);
        return;
      }
      case ActionType.WaitForExternalEvent:
      case ActionType.ContinueAsNew:
        return;
      case ActionType.WhenAny:
      case ActionType.WhenAll:
        (action.compoundActions ?? []).forEach((child, index) =>
          this.schedule(child, [...path, index]),
        );
        return;
      case ActionType.CallEntity:
      case ActionType.SignalEntity:
      case ActionType.ScheduledSignalEntity:
      case ActionType.LockEntities:
      case ActionType.ReleaseEntities:
        throw new EpisodeFailure(
          'Durable entities are not supported by the local host (callEntity, signalEntity and entity locks).',
        );
      case ActionType.CallHttp:
        throw new EpisodeFailure('context.df.callHttp is not supported by the local host.');
      default:
        throw new EpisodeFailure(`Unknown orchestrator action type ${action.actionType}.`);
    }
  }

  /**
   * A timer, split into legs when it is further out than the backend allows (as the extension's
   * CreateTimer does, and as the SDK's LongTimerTask expects): each leg fires, then the next is
   * created from the time of firing, until the final fire time is within one leg.
   */
  private scheduleTimer(finalFireAt: number, path: number[] | undefined, isLeg = false): void {
    const id = this.shim.nextSequence++;
    const long = finalFireAt - this.nowMs > this.policy.maximumShortTimerMs;
    const fireAt = long ? this.nowMs + this.policy.longRunningTimerIntervalMs : finalFireAt;
    const fireAtText = new Date(fireAt).toISOString();
    this.append(HistoryEventType.TimerCreated, { EventId: id, FireAt: fireAtText });
    // Every leg of a long timer, the last one included, belongs to the SDK's LongTimerTask.
    this.shim.open[id] =
      long || isLeg
        ? {
            kind: 'timer',
            role: 'long',
            fireAt: fireAtText,
            finalFireAt: new Date(finalFireAt).toISOString(),
            ...optional('path', path),
          }
        : { kind: 'timer', role: 'user', fireAt: fireAtText, ...optional('path', path) };
    this.effects.push({ kind: 'armTimer', timerId: id, fireAt });
  }

  private openActivity(
    id: number,
    name: string,
    input: string | undefined,
    retry: RetryChain | undefined,
  ): void {
    this.append(HistoryEventType.TaskScheduled, {
      EventId: id,
      Name: name,
      ...optional('Input', input),
    });
    this.shim.open[id] = {
      kind: 'activity',
      name,
      ...optional('input', input),
      ...optional('retry', retry),
    };
    this.effects.push({ kind: 'runActivity', taskId: id });
  }

  private openSubOrchestration(
    id: number,
    name: string,
    instanceId: string | undefined,
    input: string | undefined,
    version: string | undefined,
    retry: RetryChain | undefined,
  ): void {
    const childId = instanceId || defaultChildInstanceId(this.record.instanceId, id);
    this.append(HistoryEventType.SubOrchestrationInstanceCreated, {
      EventId: id,
      Name: name,
      InstanceId: childId,
      ...optional('Input', input),
    });
    this.shim.open[id] = {
      kind: 'subOrchestration',
      name,
      instanceId: childId,
      ...optional('input', input),
      ...optional('version', version),
      ...optional('retry', retry),
    };
    this.effects.push({ kind: 'startSubOrchestration', taskId: id });
  }
}

/** Activity inputs arrive from the SDK already JSON-encoded when they are strings. */
function encodeInput(input: unknown): string | undefined {
  if (input === undefined) return undefined;
  return typeof input === 'string' ? input : JSON.stringify(input);
}

/** "{parent}:{sequence as 4 hex digits}", DurableTask.Core's id for an unnamed sub-orchestration. */
export function defaultChildInstanceId(parentInstanceId: string, sequence: number): string {
  return `${parentInstanceId}:${sequence.toString(16).toUpperCase().padStart(4, '0')}`;
}

function retryChain(action: ActionJson, target: RetryChain['target']): RetryChain {
  const options = action.retryOptions;
  if (
    !options ||
    !(options.firstRetryIntervalInMilliseconds > 0) ||
    !Number.isInteger(options.maxNumberOfAttempts)
  ) {
    throw new EpisodeFailure(`The retry options of ${target.name} are incomplete.`);
  }
  return { options, attempt: 1, target };
}

function failureFields(
  taskId: number,
  failure: { reason: string; details: string; failureDetails?: FailureDetailsPayload },
): Partial<HistoryEvent> {
  return {
    TaskScheduledId: taskId,
    Reason: failure.reason,
    Details: failure.details,
    ...(failure.failureDetails ? { FailureDetails: failure.failureDetails } : {}),
  };
}

function requireName(action: ActionJson): string {
  if (typeof action.functionName !== 'string' || action.functionName === '') {
    throw new EpisodeFailure(`An action of type ${action.actionType} has no function name.`);
  }
  return action.functionName;
}

function signature(action: ActionJson): string {
  const name = action.functionName ?? action.externalEventName ?? '';
  const children = action.compoundActions
    ? `(${action.compoundActions.map(signature).join(',')})`
    : '';
  return `${action.actionType}:${name}${children}`;
}

function actionAt(actions: readonly ActionJson[], path: readonly number[]): ActionJson | undefined {
  let action = actions[path[0]!];
  for (const index of path.slice(1)) action = action?.compoundActions?.[index];
  return action;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** A .NET TimeSpan string ("d.hh:mm:ss.fff"), the form the extension uses and moment parses. */
export function timeSpan(milliseconds: number): string {
  const days = Math.floor(milliseconds / 86_400_000);
  let rest = milliseconds - days * 86_400_000;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = Math.floor(rest / 1000);
  const fraction = rest - seconds * 1000;
  const two = (n: number) => String(n).padStart(2, '0');
  return `${days}.${two(hours)}:${two(minutes)}:${two(seconds)}${fraction ? `.${String(fraction).padStart(3, '0')}` : ''}`;
}
