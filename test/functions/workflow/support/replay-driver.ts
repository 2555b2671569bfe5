import * as df from 'durable-functions';
import type { OrchestrationHandler } from 'durable-functions';
import {
  activityFailure,
  orchestratorStateFrom,
} from '../../../../local/host/durable/durable-payloads.ts';
import { invokeOrchestrator } from '../../../../local/host/durable/invoke-orchestrator.ts';
import {
  HistoryEventType,
  type HistoryEvent,
} from '../../../../local/host/durable/history-event.ts';
import {
  TERMINAL_STATUSES,
  emptyShimState,
  type InstanceMessage,
  type InstanceRecord,
  type OpenTask,
  type RuntimeStatus,
} from '../../../../local/host/durable/instance-record.ts';
import {
  EpisodeFailure,
  OrchestrationEpisode,
  type EpisodeEffect,
  type TimerPolicy,
} from '../../../../local/host/durable/orchestration-episode.ts';
import type { OrchestratorStateJson } from '../../../../local/host/durable/orchestrator-state.ts';
import { sdkOpenTaskIds } from '../../../../local/host/durable/sdk-open-tasks.ts';
import { installFunctionsCoreSeam } from '../../../../local/host/install-functions-core-seam.ts';
import { invokeFunction } from '../../../../local/host/invoke-function.ts';
import type { FunctionApp } from '../../../../local/host/load-function-app.ts';
import {
  describeRegistration,
  type RegisteredFunction,
} from '../../../../local/host/registered-function.ts';

/**
 * A replay driver: runs an orchestrator through durable-functions' own entry point (the handler
 * `df.app.orchestration` builds around the generator), one episode at a time, with the local
 * host's replay machinery keeping the history and the sequence numbers. Nothing runs by itself:
 * the test (or the activity handlers it installs) completes activities, raises events and moves
 * the clock, so every step is deterministic and instant.
 */

/**
 * Azure Storage's limits, which the Durable extension announces to the SDK, and the local host's
 * rule on top: no timer past 3 days (a longer one fails the orchestration).
 */
export const AZURE_STORAGE_TIMERS: TimerPolicy = {
  maximumShortTimerMs: 6 * 86_400_000,
  longRunningTimerIntervalMs: 3 * 86_400_000,
  maximumTimerMs: 3 * 86_400_000,
};

interface LoadedOrchestrator {
  app: FunctionApp;
  fn: RegisteredFunction;
}

const loaded = new Map<string, LoadedOrchestrator>();

/**
 * The SDK-wrapped handler for `handler`, registered under `name` through the host's
 * `@azure/functions-core` seam (without it `@azure/functions` runs in "test mode" and registers
 * nothing). Once per name and process: the seam refuses a second registration of the same name.
 */
export function sdkOrchestrator(name: string, handler: OrchestrationHandler): LoadedOrchestrator {
  const cached = loaded.get(name);
  if (cached) return cached;
  const seam = installFunctionsCoreSeam();
  const capture = seam.beginCapture();
  try {
    df.app.orchestration(name, handler);
  } finally {
    capture.end();
  }
  const registration = capture.registrations[0];
  const programmingModel = seam.programmingModel();
  if (!registration || !programmingModel) {
    throw new Error(
      `Registering ${name} reached no host: @azure/functions was used in test mode in this process before the seam was installed.`,
    );
  }
  const fn = describeRegistration(registration.metadata, registration.callback);
  const app: FunctionApp = {
    entry: `replay-driver:${name}`,
    functions: [fn],
    programmingModel,
    hooks: [],
    appHookData: {},
  };
  const result = { app, fn };
  loaded.set(name, result);
  return result;
}

/** An activity the orchestrator is waiting on. */
export interface OpenActivity {
  taskId: number;
  name: string;
  input: unknown;
  /** 1 for the first call, 2 for the first retry of a `callActivityWithRetry`… */
  attempt: number;
}

export interface OpenTimer {
  timerId: number;
  fireAt: number;
  /** user: createTimer; retry: the wait between attempts; long: one leg of a long timer. */
  role: 'user' | 'retry' | 'long';
}

/** Answers an activity call (its return value is the result), or throws to fail it. */
export type ActivityHandler = (input: unknown, call: OpenActivity) => unknown;

export interface ReplayDriverOptions {
  orchestrator: LoadedOrchestrator;
  instanceId: string;
  input: unknown;
  /** Durable time at the start, in epoch milliseconds. */
  start: number;
  /**
   * Activities answered as soon as they are scheduled, by name; an activity without a handler
   * stays open until the test completes or fails it.
   */
  handlers?: Record<string, ActivityHandler>;
  timerPolicy?: TimerPolicy;
}

export class ReplayDriver {
  /** Everything the episodes asked the host to do (run, arm, cancel), in order. */
  readonly effects: EpisodeEffect[] = [];
  /** Every custom status the instance had, in order (each change once). */
  readonly customStatuses: unknown[] = [];
  /** Handlers by activity name; change them between steps to change what activities answer. */
  readonly handlers: Map<string, ActivityHandler>;

  #now: number;
  #record: InstanceRecord;
  #lastState: OrchestratorStateJson | undefined;
  #leftOpenAtEnd: OpenTask[] = [];
  #failure: string | undefined;
  readonly #orchestrator: LoadedOrchestrator;
  readonly #policy: TimerPolicy;

  constructor(options: ReplayDriverOptions) {
    this.#orchestrator = options.orchestrator;
    this.#policy = options.timerPolicy ?? AZURE_STORAGE_TIMERS;
    this.#now = options.start;
    this.handlers = new Map(Object.entries(options.handlers ?? {}));
    const at = new Date(options.start).toISOString();
    this.#record = {
      format: 1,
      instanceId: options.instanceId,
      executionId: 'execution-1',
      name: options.orchestrator.fn.name,
      input: JSON.stringify(options.input),
      runtimeStatus: 'Pending',
      createdTime: at,
      lastUpdatedTime: at,
      customStatus: null,
      output: null,
      history: [],
      shim: emptyShimState(),
      inbox: [],
      nextMessage: 0,
    };
  }

  /** The first episode (ExecutionStarted), then whatever the handlers answer. */
  async start(): Promise<this> {
    await this.#episode([]);
    await this.pump();
    return this;
  }

  /** Durable time, epoch milliseconds: what the next episode's OrchestratorStarted says. */
  get now(): number {
    return this.#now;
  }

  get record(): InstanceRecord {
    return this.#record;
  }

  get runtimeStatus(): RuntimeStatus {
    return this.#record.runtimeStatus;
  }

  get isTerminal(): boolean {
    return TERMINAL_STATUSES.has(this.#record.runtimeStatus);
  }

  get customStatus(): unknown {
    return this.#record.customStatus;
  }

  /** The orchestrator's return value (or, when it failed, the failure message). */
  get output(): unknown {
    return this.#record.output;
  }

  get history(): readonly HistoryEvent[] {
    return this.#record.history;
  }

  /** What the orchestrator handler returned last (every action since the start, V3 schema). */
  get lastState(): OrchestratorStateJson | undefined {
    return this.#lastState;
  }

  /** Why the orchestrator (or the host, refusing its actions) failed the instance. */
  get failure(): string | undefined {
    return this.#failure;
  }

  /**
   * Timers the orchestrator had neither fired nor cancelled when it returned. The host cancels
   * them on completion anyway, which would hide them; this is read before it does.
   */
  get timersLeftOpenAtEnd(): OpenTask[] {
    return this.#leftOpenAtEnd.filter((task) => task.kind === 'timer');
  }

  openActivities(): OpenActivity[] {
    return Object.entries(this.#record.shim.open).flatMap(([id, task]) =>
      task.kind === 'activity'
        ? [
            {
              taskId: Number(id),
              name: task.name,
              input: task.input === undefined ? undefined : (JSON.parse(task.input) as unknown),
              attempt: task.retry?.attempt ?? 1,
            },
          ]
        : [],
    );
  }

  openTimers(): OpenTimer[] {
    return Object.entries(this.#record.shim.open)
      .flatMap(([id, task]) =>
        task.kind === 'timer'
          ? [{ timerId: Number(id), fireAt: Date.parse(task.fireAt), role: task.role }]
          : [],
      )
      .sort((a, b) => a.fireAt - b.fireAt || a.timerId - b.timerId);
  }

  /** Timer ids the orchestrator cancelled (or the host cancelled when the instance ended). */
  cancelledTimers(): number[] {
    return this.effects.flatMap((e) => (e.kind === 'cancelTimer' ? [e.timerId] : []));
  }

  /** Every activity call scheduled so far (retries included), in order, with parsed inputs. */
  scheduledActivities(): { taskId: number; name: string; input: unknown }[] {
    return this.#record.history.flatMap((event) =>
      event.EventType === HistoryEventType.TaskScheduled
        ? [
            {
              taskId: event.EventId,
              name: event.Name ?? '',
              input: event.Input === undefined ? undefined : (JSON.parse(event.Input) as unknown),
            },
          ]
        : [],
    );
  }

  /** The one open activity called `name`; fails the test's expectation clearly otherwise. */
  openActivity(name: string): OpenActivity {
    const open = this.openActivities().filter((a) => a.name === name);
    if (open.length !== 1) {
      throw new Error(
        `Expected exactly one open ${name} activity, found ${open.length} (open: ${this.openActivities()
          .map((a) => a.name)
          .join(', ')}).`,
      );
    }
    return open[0]!;
  }

  /** Delivers an activity's result, then lets the handlers answer what follows. */
  async complete(activity: OpenActivity | number, result: unknown): Promise<void> {
    const taskId = typeof activity === 'number' ? activity : activity.taskId;
    await this.#episode([
      { kind: 'taskCompleted', taskId, result: JSON.stringify(result ?? null) },
    ]);
    await this.pump();
  }

  /** Fails an activity the way the host reports a thrown error (retries follow their timers). */
  async fail(activity: OpenActivity | number, error: Error): Promise<void> {
    const taskId = typeof activity === 'number' ? activity : activity.taskId;
    const task = this.#record.shim.open[taskId];
    if (task?.kind !== 'activity') throw new Error(`Task ${taskId} is not an open activity.`);
    await this.#episode([{ kind: 'taskFailed', taskId, ...activityFailure(task.name, error) }]);
    await this.pump();
  }

  /**
   * Raises an external event (one episode, like the extension delivering one message). Answers
   * 'gone' for a finished instance, as the durable client's raiseEvent does (HTTP 410).
   */
  async raise(name: string, payload: unknown): Promise<'accepted' | 'gone'> {
    if (this.isTerminal) return 'gone';
    const seq = this.#record.nextMessage;
    this.#record = { ...this.#record, nextMessage: seq + 1 };
    await this.#episode([
      {
        seq,
        kind: 'eventRaised',
        name,
        ...(payload === undefined ? {} : { input: JSON.stringify(payload) }),
      },
    ]);
    await this.pump();
    return 'accepted';
  }

  /** Moves durable time forward by `milliseconds`; see `advanceTo`. */
  advance(milliseconds: number): Promise<void> {
    return this.advanceTo(this.#now + milliseconds);
  }

  /**
   * Moves durable time to `target`, firing every timer that falls due on the way (including the
   * ones created on the way: reminders, retry waits, legs of long timers), each at its own time
   * and in its own episode, as the host's timer queue does.
   */
  async advanceTo(target: number): Promise<void> {
    for (let fired = 0; ; fired++) {
      if (fired > 10_000) throw new Error('advanceTo fired more than 10 000 timers: a timer loop?');
      await this.pump();
      const next = this.openTimers()[0];
      if (!next || next.fireAt > target || this.isTerminal) break;
      this.#now = Math.max(this.#now, next.fireAt);
      await this.#episode([{ kind: 'timerFired', timerId: next.timerId }]);
    }
    this.#now = Math.max(this.#now, target);
  }

  /** Answers open activities with their handlers until no open activity has one. */
  async pump(): Promise<void> {
    for (let answered = 0; ; answered++) {
      if (answered > 10_000) throw new Error('pump answered 10 000 activities: an activity loop?');
      if (this.isTerminal) return;
      const call = this.openActivities().find((a) => this.handlers.has(a.name));
      if (!call) return;
      let result: unknown;
      try {
        result = this.handlers.get(call.name)!(call.input, call);
      } catch (error) {
        await this.#episode([
          {
            kind: 'taskFailed',
            taskId: call.taskId,
            ...activityFailure(
              call.name,
              error instanceof Error ? error : new Error(String(error)),
            ),
          },
        ]);
        continue;
      }
      await this.#episode([
        { kind: 'taskCompleted', taskId: call.taskId, result: JSON.stringify(result ?? null) },
      ]);
    }
  }

  /**
   * Runs the orchestrator once more over the whole history, as a replay (nothing is appended),
   * and returns what it answers: a deterministic orchestrator gives the same actions and output.
   */
  async replay(): Promise<OrchestratorStateJson> {
    const episode = new OrchestrationEpisode(this.#record, this.#now, this.#policy);
    const binding = { ...episode.binding(), history: this.#record.history, isReplaying: true };
    const outcome = await invokeFunction(this.#orchestrator.app, this.#orchestrator.fn, {
      inputData: [
        {
          name: this.#orchestrator.fn.triggerBindingName,
          data: { string: JSON.stringify(binding) },
        },
      ],
    });
    if (!outcome.ok) throw new Error('The replay failed.', { cause: outcome.error });
    const state = orchestratorStateFrom(outcome.response.returnValue);
    if (!state) throw new Error('The replay returned no orchestrator state.');
    return state;
  }

  /** One episode, as DurableEngine runs it: deliver, run the orchestrator, apply, commit. */
  async #episode(messages: InstanceMessage[]): Promise<void> {
    if (this.isTerminal) return;
    const base = this.#record;
    const episode = new OrchestrationEpisode(base, this.#now, this.#policy);
    episode.deliver(messages);
    if (episode.needsOrchestrator) await this.#runOrchestrator(episode, base, messages);
    if (episode.isEmpty) return;
    const { record, effects } = episode.commit();
    if (JSON.stringify(record.customStatus) !== JSON.stringify(this.#record.customStatus)) {
      this.customStatuses.push(record.customStatus);
    }
    this.#record = record;
    this.effects.push(...effects);
  }

  async #runOrchestrator(
    episode: OrchestrationEpisode,
    base: InstanceRecord,
    messages: InstanceMessage[],
  ): Promise<void> {
    const { app, fn } = this.#orchestrator;
    const outcome = await invokeOrchestrator(app, fn, episode);
    if (!outcome.ok) {
      this.#failure = outcome.message;
      return;
    }
    const { state } = outcome;
    this.#lastState = state;
    if (state.isDone) this.#leftOpenAtEnd = this.#openAfter(base, messages, state);
    try {
      episode.applyState(state);
    } catch (error) {
      if (!(error instanceof EpisodeFailure)) throw error;
      this.#failure = error.message;
      episode.applyFailure(error.message);
      return;
    }
    // The same check as the host's: a task yielded again in a new Task.any/all gets a number
    // from the host that the SDK never gave it (Azure/azure-functions-durable-js#574).
    const sdkOpen = sdkOpenTaskIds(outcome.context);
    if (sdkOpen && !episode.isTerminal && episode.openTaskIds().some((id) => !sdkOpen.has(id))) {
      this.#failure = 'A task was yielded again inside a new Task.any or Task.all (#574).';
      episode.applyFailure(this.#failure);
    }
  }

  /**
   * What would still be open had the orchestrator not returned: a throwaway episode over the same
   * base applies the same state as if unfinished, so the host's own bookkeeping (timer paths,
   * cancellations) says which timers the orchestrator left behind.
   */
  #openAfter(
    base: InstanceRecord,
    messages: InstanceMessage[],
    state: OrchestratorStateJson,
  ): OpenTask[] {
    const probe = new OrchestrationEpisode(base, this.#now, this.#policy);
    probe.deliver(messages);
    try {
      probe.applyState({ ...state, isDone: false });
    } catch (error) {
      // The real episode reports the same failure; there is nothing left open to speak of.
      if (error instanceof EpisodeFailure) return [];
      throw error;
    }
    return Object.values(probe.commit().record.shim.open);
  }
}
