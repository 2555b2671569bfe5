import type { FailureDetailsPayload, HistoryEvent } from './history-event.ts';
import type { RetryOptionsJson } from './orchestrator-state.ts';

/** The runtime statuses DurableClient.getStatus reports (OrchestrationRuntimeStatus). */
export type RuntimeStatus =
  'Pending' | 'Running' | 'Completed' | 'ContinuedAsNew' | 'Failed' | 'Terminated' | 'Suspended';

export const TERMINAL_STATUSES: ReadonlySet<RuntimeStatus> = new Set([
  'Completed',
  'Failed',
  'Terminated',
]);

/** A retried activity or sub-orchestration: what to call again and how many attempts remain. */
export interface RetryChain {
  options: RetryOptionsJson;
  /** The attempt the SDK will make next (it counts from 1 and increments on each failure). */
  attempt: number;
  target: {
    kind: 'activity' | 'subOrchestration';
    name: string;
    input?: string;
    instanceId?: string;
  };
}

/**
 * A task the orchestrator waits on, keyed by the sequence number the SDK gave it. `path` locates
 * the action that created it (top-level index, then compound children), so a later
 * `timer.cancel()` — which only flips `isCanceled` on that action — can be found.
 */
export type OpenTask =
  | {
      kind: 'activity';
      name: string;
      input?: string;
      retry?: RetryChain;
    }
  | {
      kind: 'timer';
      fireAt: string;
      /** user: createTimer; retry: the wait between attempts; long: one leg of a long timer. */
      role: 'user' | 'retry' | 'long';
      path?: number[];
      finalFireAt?: string;
      retry?: RetryChain;
    }
  | {
      kind: 'subOrchestration';
      name: string;
      instanceId: string;
      input?: string;
      version?: string;
      retry?: RetryChain;
    };

/** The host's half of replay: what the SDK has been told and what it is waiting for. */
export interface ShimState {
  /** Whether the orchestrator has run in this execution (a suspended new instance has not). */
  hasRun: boolean;
  /** The next sequence number the SDK will assign (it numbers tasks 0, 1, 2… in schedule order). */
  nextSequence: number;
  /** Top-level actions already applied; the SDK's action list only ever grows. */
  actionCount: number;
  /** One signature per applied top-level action, to detect non-deterministic replays. */
  signatures: string[];
  open: Record<string, OpenTask>;
}

/** A client operation accepted (answered 202) but not yet in the history; it must survive a crash. */
export type ClientMessage =
  | { seq: number; kind: 'eventRaised'; name: string; input?: string }
  | { seq: number; kind: 'terminate'; reason?: string }
  | { seq: number; kind: 'suspend'; reason?: string }
  | { seq: number; kind: 'resume'; reason?: string };

/** Everything that may change an orchestration: client operations and completed work. */
export type InstanceMessage =
  | ClientMessage
  | { kind: 'taskCompleted'; taskId: number; result: string }
  | {
      kind: 'taskFailed';
      taskId: number;
      reason: string;
      details: string;
      failureDetails?: FailureDetailsPayload;
    }
  | { kind: 'timerFired'; timerId: number }
  | { kind: 'subOrchestrationCompleted'; taskId: number; result: string }
  | {
      kind: 'subOrchestrationFailed';
      taskId: number;
      reason: string;
      details: string;
      failureDetails?: FailureDetailsPayload;
    };

/** One orchestration instance as persisted: `<stateDir>/instances/<id>.json`. */
export interface InstanceRecord {
  format: 1;
  instanceId: string;
  /** Changes when the id is reused (replaced, or continued as new), so stale work is dropped. */
  executionId: string;
  name: string;
  version?: string;
  /** JSON text of the input, exactly as the client sent it. */
  input?: string;
  runtimeStatus: RuntimeStatus;
  createdTime: string;
  lastUpdatedTime: string;
  customStatus?: unknown;
  output?: unknown;
  parent?: { instanceId: string; executionId: string; taskId: number };
  history: HistoryEvent[];
  shim: ShimState;
  inbox: ClientMessage[];
  /** The next `seq` for a client message. */
  nextMessage: number;
}

export function emptyShimState(): ShimState {
  return { hasRun: false, nextSequence: 0, actionCount: 0, signatures: [], open: {} };
}
