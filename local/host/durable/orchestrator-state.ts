/**
 * What durable-functions' orchestrator handler returns (OrchestratorState, after the worker's JSON
 * conversion) and the actions in it (src/actions/*). With replay schema V2 and later, `actions` is
 * one list of every action the orchestrator has scheduled since the execution started, in order,
 * with `Task.any` / `Task.all` kept as compound actions.
 */
export const ActionType = {
  CallActivity: 0,
  CallActivityWithRetry: 1,
  CallSubOrchestrator: 2,
  CallSubOrchestratorWithRetry: 3,
  ContinueAsNew: 4,
  CreateTimer: 5,
  WaitForExternalEvent: 6,
  CallEntity: 7,
  CallHttp: 8,
  SignalEntity: 9,
  ScheduledSignalEntity: 10,
  WhenAny: 11,
  WhenAll: 12,
  LockEntities: 13,
  ReleaseEntities: 14,
} as const;

/** RetryOptions as the SDK serialises them. */
export interface RetryOptionsJson {
  firstRetryIntervalInMilliseconds: number;
  maxNumberOfAttempts: number;
  backoffCoefficient?: number;
  maxRetryIntervalInMilliseconds?: number;
  retryTimeoutInMilliseconds?: number;
}

export interface ActionJson {
  actionType: number;
  functionName?: string;
  /** Activity and sub-orchestration inputs: strings arrive already JSON-encoded by the SDK. */
  input?: unknown;
  retryOptions?: RetryOptionsJson;
  instanceId?: string;
  fireAt?: string;
  isCanceled?: boolean;
  externalEventName?: string;
  compoundActions?: ActionJson[];
  version?: string;
}

export interface OrchestratorStateJson {
  isDone: boolean;
  actions: ActionJson[][];
  output?: unknown;
  error?: string;
  customStatus?: unknown;
  schemaVersion: number;
}

/** The SDK's replay schemas; the host announces V3 (upperSchemaVersion) and V4 (…New). */
export const ReplaySchema = { V1: 0, V2: 1, V3: 2, V4: 3 } as const;

/** A type guard for the handler's result after `JSON.parse`. */
export function isOrchestratorState(value: unknown): value is OrchestratorStateJson {
  if (typeof value !== 'object' || value === null) return false;
  const state = value as Partial<OrchestratorStateJson>;
  return typeof state.isDone === 'boolean' && Array.isArray(state.actions);
}
