import { randomUUID } from 'node:crypto';
import type { HostLog } from '../host-log.ts';
import { hostLogLevel } from '../host-log.ts';
import { invokeFunction, type InvocationLogRecord } from '../invoke-function.ts';
import type { FunctionApp } from '../load-function-app.ts';
import type { RegisteredFunction } from '../registered-function.ts';
import type { DurableClock } from './durable-clock.ts';
import { payloadProblem } from './durable-limits.ts';
import { activityFailure, taskResultJson } from './durable-payloads.ts';
import { invokeOrchestrator } from './invoke-orchestrator.ts';
import {
  TERMINAL_STATUSES,
  emptyShimState,
  type ClientMessage,
  type InstanceMessage,
  type InstanceRecord,
  type RuntimeStatus,
} from './instance-record.ts';
import { InstanceStore } from './instance-store.ts';
import {
  EpisodeFailure,
  OrchestrationEpisode,
  type EpisodeEffect,
  type TimerPolicy,
} from './orchestration-episode.ts';
import { sdkOpenTaskIds } from './sdk-open-tasks.ts';
import { TimerQueue } from './timer-queue.ts';

export interface DurableEngineOptions {
  app: FunctionApp;
  stateDirectory: string;
  /** Given the latest durable time found in the state folder, the clock to run on. */
  clock: (notBefore: number) => DurableClock;
  timerPolicy: TimerPolicy;
  maxConcurrentActivities: number;
  maxConcurrentOrchestrations: number;
  /** host.json overridableExistingInstanceStates = AnyState: startNew replaces running instances. */
  replaceRunningInstances: boolean;
  defaultVersion: string | undefined;
  /** The `durableClient` binding value, for activities that start or signal orchestrations. */
  durableClientInput: string;
  log: HostLog;
}

export type StartNewResult =
  | { kind: 'started'; instanceId: string }
  | { kind: 'conflict'; instanceId: string; status: RuntimeStatus }
  | { kind: 'unknownFunction'; message: string }
  | { kind: 'invalidInstanceId'; message: string }
  | { kind: 'invalidInput'; message: string };

/** What client operations on one instance answer, mirroring the extension's 202 / 410 / 404. */
export type InstanceOperationResult = 'accepted' | 'gone' | 'notFound';

interface Slot {
  record: InstanceRecord;
  /** Messages not yet delivered, in arrival order (client ones are also in record.inbox). */
  pending: InstanceMessage[];
  /** Work messages held back while the instance is suspended. */
  parked: InstanceMessage[];
  queued: boolean;
  running: boolean;
  version: number;
  written: number;
  writing: boolean;
  waiters: { version: number; resolve: () => void; reject: (error: unknown) => void }[];
}

interface ActivityWork {
  instanceId: string;
  executionId: string;
  taskId: number;
}

/**
 * The Durable Task runtime of the local host: keeps every instance (in memory and on disk), runs
 * orchestration episodes through the app's orchestrator handlers, activities through the app's
 * activity handlers, fires durable timers and applies client operations.
 *
 * Concurrency: at most one episode per instance at a time; episodes of different instances and
 * activities run concurrently up to their limits (host.json's maxConcurrent… settings).
 *
 * Durability, at least once like the real host:
 *  - client operations (start, raise, terminate, suspend, resume) are written before they are
 *    acknowledged, and stay in the record's inbox until a written snapshot has them in history;
 *  - episode outcomes are written behind: their work is dispatched at once and the instance's
 *    snapshot follows, coalescing with later changes (measured: twice the throughput of writing
 *    before dispatching). After a crash an instance resumes from its last snapshot: activities
 *    it was waiting on run again, timers are re-armed from their fire times, events still in the
 *    inbox are delivered. Nothing acknowledged is lost; work may be done twice, never skipped.
 */
export class DurableEngine {
  readonly #options: DurableEngineOptions;
  readonly #store: InstanceStore;
  readonly #slots = new Map<string, Slot>();
  readonly #orchestrators = new Map<string, RegisteredFunction>();
  readonly #activities = new Map<string, RegisteredFunction>();
  readonly #ready: Slot[] = [];
  #readyHead = 0;
  readonly #activityQueue: ActivityWork[] = [];
  #activityHead = 0;
  #runningEpisodes = 0;
  #runningActivities = 0;
  #clock: DurableClock | undefined;
  #timers: TimerQueue | undefined;
  #closed = false;
  readonly #listeners = new Set<(record: InstanceRecord) => void>();
  /** waitFor's checks, by instance, so a thousand waiters cost nothing to other instances. */
  readonly #waiters = new Map<string, Set<(record: InstanceRecord) => void>>();
  readonly #idle = new Set<() => void>();

  constructor(options: DurableEngineOptions) {
    this.#options = options;
    this.#store = new InstanceStore(options.stateDirectory);
    for (const fn of options.app.functions) {
      if (fn.kind === 'orchestration') this.#orchestrators.set(fn.name.toLowerCase(), fn);
      if (fn.kind === 'activity') this.#activities.set(fn.name.toLowerCase(), fn);
    }
  }

  get clock(): DurableClock {
    if (!this.#clock) throw new Error('The durable engine has not been started.');
    return this.#clock;
  }

  /** Reads the state folder and resumes every unfinished instance. */
  async start(): Promise<void> {
    const records = await this.#store.open();
    const latest = records.reduce((max, r) => Math.max(max, Date.parse(r.lastUpdatedTime)), 0);
    this.#clock = this.#options.clock(latest);
    this.#timers = new TimerQueue(this.#clock, (key) => this.#timerDue(key));
    for (const record of records) this.#slots.set(record.instanceId, newSlot(record));
    for (const slot of this.#slots.values()) this.#resume(slot);
  }

  /** Client: start an orchestration; an id that is still running is refused, like the extension. */
  async startNew(
    name: string,
    options: { instanceId?: string; input?: string; version?: string } = {},
  ): Promise<StartNewResult> {
    const fn = this.#orchestrators.get(name.toLowerCase());
    if (!fn) {
      return {
        kind: 'unknownFunction',
        message: `The function '${name}' doesn't exist, is disabled, or is not an orchestrator function.`,
      };
    }
    const instanceId = options.instanceId ?? randomUUID().replace(/-/g, '');
    const problem = instanceIdProblem(instanceId);
    if (problem) return { kind: 'invalidInstanceId', message: problem };
    if (options.input !== undefined && !isJson(options.input)) {
      return { kind: 'invalidInput', message: 'The orchestration input must be JSON text.' };
    }
    const tooBig = payloadProblem(`The input of orchestration '${name}'`, options.input);
    if (tooBig) return { kind: 'invalidInput', message: tooBig };
    const existing = this.#slots.get(instanceId);
    if (
      existing &&
      !TERMINAL_STATUSES.has(existing.record.runtimeStatus) &&
      !this.#options.replaceRunningInstances
    ) {
      return { kind: 'conflict', instanceId, status: existing.record.runtimeStatus };
    }
    const now = new Date(this.clock.now()).toISOString();
    const version = options.version ?? this.#options.defaultVersion;
    const record: InstanceRecord = {
      format: 1,
      instanceId,
      executionId: randomUUID(),
      name,
      ...(version !== undefined ? { version } : {}),
      ...(options.input !== undefined ? { input: options.input } : {}),
      runtimeStatus: 'Pending',
      createdTime: now,
      lastUpdatedTime: now,
      customStatus: null,
      output: null,
      history: [],
      shim: emptyShimState(),
      inbox: [],
      nextMessage: 0,
    };
    const slot = existing ?? newSlot(record);
    slot.record = record;
    slot.pending = [];
    slot.parked = [];
    this.#slots.set(instanceId, slot);
    this.#enqueue(slot);
    await this.#persist(slot);
    return { kind: 'started', instanceId };
  }

  raiseEvent(instanceId: string, name: string, input?: string): Promise<InstanceOperationResult> {
    return this.#clientMessage(instanceId, (seq) => ({
      seq,
      kind: 'eventRaised',
      name,
      ...(input !== undefined ? { input } : {}),
    }));
  }

  terminate(instanceId: string, reason?: string): Promise<InstanceOperationResult> {
    return this.#clientMessage(instanceId, (seq) => ({ seq, kind: 'terminate', reason }));
  }

  suspend(instanceId: string, reason?: string): Promise<InstanceOperationResult> {
    return this.#clientMessage(instanceId, (seq) => ({ seq, kind: 'suspend', reason }));
  }

  resume(instanceId: string, reason?: string): Promise<InstanceOperationResult> {
    return this.#clientMessage(instanceId, (seq) => ({ seq, kind: 'resume', reason }));
  }

  /** Deletes a finished instance's record and history. */
  async purge(instanceId: string): Promise<'purged' | 'notFound' | 'notTerminal'> {
    const slot = this.#slots.get(instanceId);
    if (!slot) return 'notFound';
    if (!TERMINAL_STATUSES.has(slot.record.runtimeStatus)) return 'notTerminal';
    this.#slots.delete(instanceId);
    // A write still in flight would bring the file back after the removal.
    if (slot.writing) {
      await new Promise<void>((resolve) =>
        slot.waiters.push({ version: slot.version, resolve, reject: () => resolve() }),
      );
    }
    if (this.#slots.get(instanceId) === undefined) await this.#store.remove(instanceId);
    return 'purged';
  }

  get(instanceId: string): InstanceRecord | undefined {
    return this.#slots.get(instanceId)?.record;
  }

  list(): InstanceRecord[] {
    return [...this.#slots.values()].map((slot) => slot.record);
  }

  /** Calls back after every change of any instance, as it is committed (tests and waiters). */
  subscribe(listener: (record: InstanceRecord) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Resolves with the instance once `predicate` holds (checked now and after each change). */
  waitFor(
    instanceId: string,
    predicate: (record: InstanceRecord) => boolean,
    timeoutMs = 10_000,
  ): Promise<InstanceRecord> {
    return new Promise((resolve, reject) => {
      const check = (record: InstanceRecord | undefined) => {
        if (record && record.instanceId === instanceId && predicate(record)) {
          cleanup();
          resolve(record);
        }
      };
      let waiters = this.#waiters.get(instanceId);
      if (!waiters) this.#waiters.set(instanceId, (waiters = new Set()));
      waiters.add(check);
      const unsubscribe = () => {
        waiters.delete(check);
        if (!waiters.size) this.#waiters.delete(instanceId);
      };
      const timer = setTimeout(() => {
        cleanup();
        const record = this.get(instanceId);
        reject(
          new Error(
            `Instance ${instanceId} did not reach the awaited state within ${timeoutMs} ms (status ${record?.runtimeStatus ?? 'unknown'}).`,
          ),
        );
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        unsubscribe();
      };
      check(this.get(instanceId));
    });
  }

  /**
   * Stops timers and dispatch, waits for running episodes and writes, and gives running
   * activities `graceMs` to finish (their results are then dropped; they run again next start).
   */
  async close(graceMs = 5_000): Promise<void> {
    this.#closed = true;
    this.#timers?.close();
    const deadline = Date.now() + graceMs;
    while (this.#runningEpisodes > 0 || (this.#runningActivities > 0 && Date.now() < deadline)) {
      await new Promise<void>((resolve) => {
        this.#idle.add(resolve);
        setTimeout(resolve, 50).unref();
      });
    }
    await Promise.all([...this.#slots.values()].map((slot) => this.#flush(slot)));
    await this.#store.close();
  }

  #resume(slot: Slot): void {
    const record = slot.record;
    if (TERMINAL_STATUSES.has(record.runtimeStatus)) return;
    slot.pending.push(...record.inbox);
    if (awaitsFirstRun(record) || slot.pending.length) this.#enqueue(slot);
    for (const [id, task] of Object.entries(record.shim.open)) {
      const taskId = Number(id);
      if (task.kind === 'activity')
        this.#queueActivity(record.instanceId, record.executionId, taskId);
      else if (task.kind === 'timer') this.#armTimer(slot, taskId, Date.parse(task.fireAt));
      else this.#startSubOrchestration(slot, taskId);
    }
  }

  async #clientMessage(
    instanceId: string,
    make: (seq: number) => ClientMessage,
  ): Promise<InstanceOperationResult> {
    const slot = this.#slots.get(instanceId);
    if (!slot) return 'notFound';
    if (TERMINAL_STATUSES.has(slot.record.runtimeStatus)) return 'gone';
    const message = make(slot.record.nextMessage);
    slot.record = {
      ...slot.record,
      inbox: [...slot.record.inbox, message],
      nextMessage: slot.record.nextMessage + 1,
    };
    slot.pending.push(message);
    this.#enqueue(slot);
    await this.#persist(slot);
    return 'accepted';
  }

  #enqueue(slot: Slot): void {
    if (slot.queued || slot.running || this.#closed) return;
    slot.queued = true;
    this.#ready.push(slot);
    this.#pumpEpisodes();
  }

  #pumpEpisodes(): void {
    while (
      this.#runningEpisodes < this.#options.maxConcurrentOrchestrations &&
      this.#readyHead < this.#ready.length
    ) {
      const slot = this.#ready[this.#readyHead++]!;
      if (this.#readyHead > 1024 && this.#readyHead * 2 > this.#ready.length) {
        this.#ready.splice(0, this.#readyHead);
        this.#readyHead = 0;
      }
      slot.queued = false;
      void this.#runEpisode(slot);
    }
  }

  async #runEpisode(slot: Slot): Promise<void> {
    slot.running = true;
    this.#runningEpisodes++;
    try {
      await this.#episode(slot);
    } catch (error) {
      this.#options.log({
        level: 'error',
        category: 'host',
        message: `The host failed while running an episode of ${slot.record.instanceId}; the instance waits for its next message.`,
        instanceId: slot.record.instanceId,
        error,
      });
    } finally {
      slot.running = false;
      this.#runningEpisodes--;
      // More messages arrived meanwhile, or the instance continued as new and must start over.
      if (slot.pending.length || awaitsFirstRun(slot.record)) this.#enqueue(slot);
      this.#pumpEpisodes();
      this.#notifyIdle();
    }
  }

  async #episode(slot: Slot): Promise<void> {
    const messages = [...slot.parked, ...slot.pending];
    slot.parked = [];
    slot.pending = [];
    const base = slot.record;
    if (TERMINAL_STATUSES.has(base.runtimeStatus)) {
      if (base.inbox.length) {
        slot.record = { ...base, inbox: [] };
        await this.#persist(slot);
      }
      return;
    }
    const episode = new OrchestrationEpisode(base, this.clock.now(), this.#options.timerPolicy);
    const work: InstanceMessage[] = [];
    for (const message of messages) {
      if (message.kind === 'terminate') episode.terminate(message.seq, message.reason);
      else if (message.kind === 'suspend') episode.suspend(message.seq, message.reason);
      else if (message.kind === 'resume') episode.resume(message.seq, message.reason);
      else work.push(message);
    }
    if (episode.isTerminal) {
      for (const message of work) if ('seq' in message) episode.consumed.add(message.seq);
    } else if (episode.runtimeStatus === 'Suspended') {
      slot.parked = work;
    } else {
      episode.deliver(work);
      if (episode.needsOrchestrator) await this.#runOrchestrator(episode, base);
    }
    if (episode.isEmpty) return;
    // startNew with AnyState may have replaced the execution while the orchestrator ran.
    if (slot.record.executionId !== base.executionId) return;
    const { record, effects } = episode.commit();
    const current = slot.record;
    slot.record = {
      ...record,
      inbox: current.inbox.filter((message) => !episode.consumed.has(message.seq)),
      nextMessage: current.nextMessage,
    };
    // Written behind: the work starts now and the snapshot follows (see the class comment).
    this.#persist(slot).catch((error: unknown) => this.#writeFailed(slot, error));
    this.#dispatch(slot, base.executionId, effects);
    if (TERMINAL_STATUSES.has(slot.record.runtimeStatus)) this.#notifyParent(slot);
  }

  async #runOrchestrator(episode: OrchestrationEpisode, record: InstanceRecord): Promise<void> {
    const fn = this.#orchestrators.get(record.name.toLowerCase());
    if (!fn) {
      episode.applyFailure(
        `The function '${record.name}' doesn't exist, is disabled, or is not an orchestrator function.`,
      );
      return;
    }
    const outcome = await invokeOrchestrator(this.#options.app, fn, episode, (entry) =>
      this.#appLog(entry, record.instanceId),
    );
    if (!outcome.ok) return;
    const { state } = outcome;
    try {
      episode.applyState(state);
    } catch (error) {
      if (!(error instanceof EpisodeFailure)) throw error;
      episode.applyFailure(error.message);
      return;
    }
    // The SDK numbers a task once, when first yielded; the host (like the Durable extension)
    // numbers every task in each Task.any/Task.all it sees. A task yielded again inside a new
    // Task.any/all gets a number the SDK never gave it, and from then on results would reach the
    // wrong tasks (Azure/azure-functions-durable-js#574). Fail clearly instead of hanging.
    const sdkOpen = sdkOpenTaskIds(outcome.context);
    if (sdkOpen && !episode.isTerminal && episode.openTaskIds().some((id) => !sdkOpen.has(id))) {
      episode.applyFailure(
        'Non-deterministic workflow detected: a task that had already been yielded was yielded again inside a new Task.any or Task.all, which durable-functions and the Durable extension number differently (see Azure/azure-functions-durable-js#574). Create a new timer or task for each Task.any/Task.all instead of reusing one.',
      );
    }
  }

  /** Starts an episode's work; timers are keyed by the execution that created them. */
  #dispatch(slot: Slot, executionId: string, effects: readonly EpisodeEffect[]): void {
    const instanceId = slot.record.instanceId;
    for (const effect of effects) {
      switch (effect.kind) {
        case 'runActivity':
          this.#queueActivity(instanceId, executionId, effect.taskId);
          break;
        case 'armTimer':
          this.#timers?.add(timerKey(instanceId, executionId, effect.timerId), effect.fireAt);
          break;
        case 'cancelTimer':
          this.#timers?.remove(timerKey(instanceId, executionId, effect.timerId));
          break;
        case 'startSubOrchestration':
          this.#startSubOrchestration(slot, effect.taskId);
          break;
      }
    }
  }

  #armTimer(slot: Slot, timerId: number, fireAt: number): void {
    const record = slot.record;
    this.#timers?.add(timerKey(record.instanceId, record.executionId, timerId), fireAt);
  }

  #timerDue(key: string): void {
    const [instanceId, executionId, id] = key.split('\u0000') as [string, string, string];
    const slot = this.#slots.get(instanceId);
    if (!slot || slot.record.executionId !== executionId) return;
    slot.pending.push({ kind: 'timerFired', timerId: Number(id) });
    this.#enqueue(slot);
  }

  #queueActivity(instanceId: string, executionId: string, taskId: number): void {
    this.#activityQueue.push({ instanceId, executionId, taskId });
    this.#pumpActivities();
  }

  #pumpActivities(): void {
    while (
      !this.#closed &&
      this.#runningActivities < this.#options.maxConcurrentActivities &&
      this.#activityHead < this.#activityQueue.length
    ) {
      const work = this.#activityQueue[this.#activityHead++]!;
      if (this.#activityHead > 1024 && this.#activityHead * 2 > this.#activityQueue.length) {
        this.#activityQueue.splice(0, this.#activityHead);
        this.#activityHead = 0;
      }
      void this.#runActivity(work);
    }
  }

  async #runActivity(work: ActivityWork): Promise<void> {
    this.#runningActivities++;
    try {
      const slot = this.#slots.get(work.instanceId);
      if (!slot || slot.record.executionId !== work.executionId) return;
      const task = slot.record.shim.open[work.taskId];
      if (task?.kind !== 'activity') return;
      const fn = this.#activities.get(task.name.toLowerCase());
      let message: InstanceMessage;
      if (!fn) {
        message = {
          kind: 'taskFailed',
          taskId: work.taskId,
          reason: `Activity function '${task.name}' failed: The function '${task.name}' doesn't exist, is disabled, or is not an activity function.`,
          details: '',
        };
      } else {
        const outcome = await invokeFunction(this.#options.app, fn, {
          inputData: [
            {
              name: fn.triggerBindingName,
              data: task.input === undefined ? null : { string: task.input },
            },
            ...fn.durableClientBindings.map((name) => ({
              name,
              data: { string: this.#options.durableClientInput },
            })),
          ],
          log: (entry) => this.#appLog(entry, work.instanceId),
        });
        const result = outcome.ok ? taskResultJson(outcome.response.returnValue) : undefined;
        // A result past the backend's message limit never reaches the orchestration in Azure.
        const tooBig = payloadProblem(`The result of activity '${task.name}'`, result);
        message =
          result !== undefined && !tooBig
            ? { kind: 'taskCompleted', taskId: work.taskId, result }
            : {
                kind: 'taskFailed',
                taskId: work.taskId,
                ...activityFailure(task.name, outcome.ok ? new Error(tooBig) : outcome.error),
              };
        if (!outcome.ok) {
          this.#options.log({
            level: 'warn',
            category: 'host',
            message: `Activity ${task.name} failed for ${work.instanceId}.`,
            functionName: task.name,
            instanceId: work.instanceId,
            error: outcome.error,
          });
        }
      }
      if (this.#closed) return;
      const current = this.#slots.get(work.instanceId);
      if (current !== slot || current.record.executionId !== work.executionId) return;
      current.pending.push(message);
      this.#enqueue(current);
    } finally {
      this.#runningActivities--;
      this.#pumpActivities();
      this.#notifyIdle();
    }
  }

  #startSubOrchestration(parent: Slot, taskId: number): void {
    const task = parent.record.shim.open[taskId];
    if (task?.kind !== 'subOrchestration' || this.#closed) return;
    const link = {
      instanceId: parent.record.instanceId,
      executionId: parent.record.executionId,
      taskId,
    };
    const existing = this.#slots.get(task.instanceId);
    if (existing) {
      const started = existing.record.parent;
      if (
        started?.instanceId === link.instanceId &&
        started.executionId === link.executionId &&
        started.taskId === taskId
      ) {
        // Already started (a restart found the parent still waiting): report it if it finished.
        if (TERMINAL_STATUSES.has(existing.record.runtimeStatus)) this.#notifyParent(existing);
        return;
      }
      if (!TERMINAL_STATUSES.has(existing.record.runtimeStatus)) {
        parent.pending.push({
          kind: 'subOrchestrationFailed',
          taskId,
          reason: `An Orchestration instance with the status ${existing.record.runtimeStatus} already exists.`,
          details: '',
        });
        this.#enqueue(parent);
        return;
      }
    }
    const now = new Date(this.clock.now()).toISOString();
    const version = task.version ?? this.#options.defaultVersion;
    const record: InstanceRecord = {
      format: 1,
      instanceId: task.instanceId,
      executionId: randomUUID(),
      name: task.name,
      ...(version !== undefined ? { version } : {}),
      ...(task.input !== undefined ? { input: task.input } : {}),
      runtimeStatus: 'Pending',
      createdTime: now,
      lastUpdatedTime: now,
      customStatus: null,
      output: null,
      parent: link,
      history: [],
      shim: emptyShimState(),
      inbox: [],
      nextMessage: 0,
    };
    const child = existing ?? newSlot(record);
    child.record = record;
    child.pending = [];
    child.parked = [];
    this.#slots.set(record.instanceId, child);
    this.#enqueue(child);
    this.#persist(child).catch((error: unknown) => this.#writeFailed(child, error));
  }

  #notifyParent(child: Slot): void {
    const link = child.record.parent;
    if (!link) return;
    const parent = this.#slots.get(link.instanceId);
    if (!parent || parent.record.executionId !== link.executionId) return;
    const record = child.record;
    const message: InstanceMessage =
      record.runtimeStatus === 'Completed'
        ? {
            kind: 'subOrchestrationCompleted',
            taskId: link.taskId,
            result: JSON.stringify(record.output ?? null),
          }
        : {
            kind: 'subOrchestrationFailed',
            taskId: link.taskId,
            // A failed instance's output is the failure message; a terminated one's, the reason.
            reason:
              record.runtimeStatus === 'Terminated'
                ? `Sub-orchestration '${record.name}' was terminated: ${text(record.output)}`
                : text(record.output) || `Sub-orchestration '${record.name}' failed.`,
            details: '',
          };
    parent.pending.push(message);
    this.#enqueue(parent);
  }

  /**
   * Publishes the slot's current record to listeners and writes it; calls made while a write is
   * in flight coalesce into the next one, so a busy instance is written once per burst of changes.
   */
  #persist(slot: Slot): Promise<void> {
    for (const listener of this.#listeners) listener(slot.record);
    const waiters = this.#waiters.get(slot.record.instanceId);
    if (waiters) for (const check of [...waiters]) check(slot.record);
    const version = ++slot.version;
    const done = new Promise<void>((resolve, reject) =>
      slot.waiters.push({ version, resolve, reject }),
    );
    if (!slot.writing) void this.#writeLoop(slot);
    return done;
  }

  async #writeLoop(slot: Slot): Promise<void> {
    slot.writing = true;
    try {
      while (slot.written < slot.version) {
        const version = slot.version;
        const record = slot.record;
        try {
          await this.#store.write(record);
        } catch (error) {
          const failed = slot.waiters.filter((w) => w.version <= version);
          slot.waiters = slot.waiters.filter((w) => w.version > version);
          slot.written = version;
          failed.forEach((w) => w.reject(error));
          continue;
        }
        slot.written = version;
        const done = slot.waiters.filter((w) => w.version <= version);
        slot.waiters = slot.waiters.filter((w) => w.version > version);
        done.forEach((w) => w.resolve());
      }
    } finally {
      slot.writing = false;
    }
  }

  #writeFailed(slot: Slot, error: unknown): void {
    this.#options.log({
      level: 'error',
      category: 'host',
      message: `Could not write instance ${slot.record.instanceId} to ${this.#store.directory}; it runs on in memory and is written with its next change.`,
      instanceId: slot.record.instanceId,
      error,
    });
  }

  async #flush(slot: Slot): Promise<void> {
    if (slot.writing || slot.written < slot.version) await this.#persist(slot);
  }

  #notifyIdle(): void {
    for (const resolve of this.#idle) resolve();
    this.#idle.clear();
  }

  #appLog(entry: InvocationLogRecord, instanceId: string): void {
    this.#options.log({
      level: hostLogLevel(entry.level),
      category: entry.category === 'user' ? 'user' : 'system',
      message: entry.message,
      functionName: entry.functionName,
      invocationId: entry.invocationId,
      instanceId,
    });
  }
}

/** A new (or continued-as-new) execution whose orchestrator has not run yet, and may. */
function awaitsFirstRun(record: InstanceRecord): boolean {
  return (
    !record.shim.hasRun &&
    record.runtimeStatus !== 'Suspended' &&
    !TERMINAL_STATUSES.has(record.runtimeStatus)
  );
}

/** True when `text` is JSON (inputs and event data arrive as JSON text). */
export function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value);
}

function newSlot(record: InstanceRecord): Slot {
  return {
    record,
    pending: [],
    parked: [],
    queued: false,
    running: false,
    version: 0,
    written: 0,
    writing: false,
    waiters: [],
  };
}

function timerKey(instanceId: string, executionId: string, timerId: number): string {
  return `${instanceId}\u0000${executionId}\u0000${timerId}`;
}

/**
 * The extension's rules for caller-chosen ids: not empty, none of / \ ? # or control characters
 * (they break its storage keys and URLs), and no leading "@" (reserved for entities).
 */
export function instanceIdProblem(instanceId: string): string | undefined {
  if (instanceId.trim() === '') return 'The instance ID must not be empty.';
  if (instanceId.length > 256) return 'The instance ID must be at most 256 characters long.';
  if (instanceId.startsWith('@')) return 'Orchestration instance IDs must not start with @.';
  // eslint-disable-next-line no-control-regex
  if (/[/\\?#\u0000-\u001f\u007f-\u009f]/.test(instanceId)) {
    return `The instance ID '${instanceId}' contains a character that is not allowed (/, \\, ?, # or a control character).`;
  }
  return undefined;
}
