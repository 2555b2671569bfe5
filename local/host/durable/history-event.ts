/**
 * Orchestration history in the JSON shape the Durable extension sends to out-of-process workers
 * (DurableTask.Core's HistoryEvent classes, PascalCase). durable-functions' executor reads
 * `EventType`, matches completions to its tasks by `TaskScheduledId` / `TimerId` (the sequence
 * number it gave each task) and external events by `Name`, and ignores the scheduling events
 * (TaskScheduled, TimerCreated…), which the host keeps for its own bookkeeping and for showHistory.
 */
export const HistoryEventType = {
  ExecutionStarted: 0,
  ExecutionCompleted: 1,
  ExecutionFailed: 2,
  ExecutionTerminated: 3,
  TaskScheduled: 4,
  TaskCompleted: 5,
  TaskFailed: 6,
  SubOrchestrationInstanceCreated: 7,
  SubOrchestrationInstanceCompleted: 8,
  SubOrchestrationInstanceFailed: 9,
  TimerCreated: 10,
  TimerFired: 11,
  OrchestratorStarted: 12,
  OrchestratorCompleted: 13,
  EventSent: 14,
  EventRaised: 15,
  ContinueAsNew: 16,
  GenericEvent: 17,
  HistoryState: 18,
  ExecutionSuspended: 19,
  ExecutionResumed: 20,
} as const;

export type HistoryEventTypeValue = (typeof HistoryEventType)[keyof typeof HistoryEventType];

/** DurableTask.Core's OrchestrationStatus, as ExecutionCompleted carries it. */
export const OrchestrationStatusCode = {
  Running: 0,
  Completed: 1,
  ContinuedAsNew: 2,
  Failed: 3,
  Canceled: 4,
  Terminated: 5,
  Pending: 6,
  Suspended: 7,
} as const;

/** The failure details the SDK turns into a TaskFailedError (durable-functions 3.5). */
export interface FailureDetailsPayload {
  ErrorType: string;
  ErrorMessage: string;
  StackTrace?: string;
  IsNonRetriable?: boolean;
  Properties?: Record<string, unknown>;
}

export interface HistoryEvent {
  EventType: HistoryEventTypeValue;
  /** The task's sequence number for scheduling events, -1 otherwise. */
  EventId: number;
  IsPlayed: boolean;
  /** ISO 8601, in the host's (possibly accelerated) time. */
  Timestamp: string;
  Name?: string;
  Version?: string;
  /** JSON text: orchestration, activity or event input; the reason for ExecutionTerminated. */
  Input?: string;
  /** JSON text of a task's result. */
  Result?: string;
  TaskScheduledId?: number;
  TimerId?: number;
  FireAt?: string;
  Reason?: string;
  Details?: string;
  FailureDetails?: FailureDetailsPayload;
  InstanceId?: string;
  ParentInstance?: { InstanceId: string; TaskScheduledId: number };
  OrchestrationStatus?: number;
}

/** Builds an event; `EventId` is -1 unless the event schedules a task. */
export function historyEvent(
  type: HistoryEventTypeValue,
  timestamp: string,
  fields: Partial<Omit<HistoryEvent, 'EventType' | 'Timestamp' | 'IsPlayed'>> = {},
): HistoryEvent {
  return { EventType: type, EventId: -1, IsPlayed: false, Timestamp: timestamp, ...fields };
}

const NAMES = Object.fromEntries(
  Object.entries(HistoryEventType).map(([name, value]) => [value, name]),
) as Record<number, string>;

/** The event type's name, as the extension's showHistory output spells it. */
export function historyEventTypeName(type: number): string {
  return NAMES[type] ?? `Unknown(${type})`;
}
