import type { GraphError } from './graph-error.ts';

/**
 * Travels with one Graph request through the SDK's middleware chain (as a fetch option), so the
 * gateway learns what the SDK would flatten: the transport's own failure, with its
 * `outcomeUnknown` flag, and how many attempts the retry layer made.
 */
export interface GraphCallRecord {
  networkError?: GraphError;
  attempts: number;
}

export const GRAPH_CALL_OPTION = 'courierCall';

export function callRecordOf(options: unknown): GraphCallRecord | undefined {
  const record = (options as Record<string, unknown> | undefined)?.[GRAPH_CALL_OPTION];
  return record && typeof record === 'object' ? (record as GraphCallRecord) : undefined;
}
