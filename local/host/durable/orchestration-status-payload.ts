import { historyEventTypeName } from './history-event.ts';
import type { InstanceRecord } from './instance-record.ts';

/** StatusResponsePayload, the JSON the extension answers for an instance (camelCase members). */
export interface OrchestrationStatusPayload {
  name: string;
  instanceId: string;
  runtimeStatus: string;
  input: unknown;
  customStatus: unknown;
  output: unknown;
  createdTime: string;
  lastUpdatedTime: string;
  historyEvents?: Record<string, unknown>[];
}

export interface StatusOptions {
  showInput?: boolean;
  showHistory?: boolean;
  showHistoryOutput?: boolean;
}

/**
 * An instance's status as the extension's HTTP API returns it. `input` and `output` are always
 * present (null when absent): DurableClient refuses a status without them. Times use the "s"
 * format plus "Z" (seconds, no fraction), as the extension writes them.
 */
export function orchestrationStatusPayload(
  record: InstanceRecord,
  options: StatusOptions = {},
): OrchestrationStatusPayload {
  const payload: OrchestrationStatusPayload = {
    name: record.name,
    instanceId: record.instanceId,
    runtimeStatus: record.runtimeStatus,
    input: options.showInput === false ? null : parseJson(record.input),
    customStatus: record.customStatus ?? null,
    output: record.output ?? null,
    createdTime: seconds(record.createdTime),
    lastUpdatedTime: seconds(record.lastUpdatedTime),
  };
  if (options.showHistory) {
    payload.historyEvents = record.history
      .filter((e) => e.EventType !== 12 && e.EventType !== 13)
      .map((event) => {
        const { EventType, IsPlayed: _played, EventId: _id, Result, Input, ...rest } = event;
        return {
          EventType: historyEventTypeName(EventType),
          ...rest,
          ...(Input !== undefined && options.showHistoryOutput ? { Input: parseJson(Input) } : {}),
          ...(Result !== undefined && options.showHistoryOutput
            ? { Result: parseJson(Result) }
            : {}),
        };
      });
  }
  return payload;
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined || text === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function seconds(iso: string): string {
  return `${iso.slice(0, 19)}Z`;
}
