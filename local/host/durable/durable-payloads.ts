import type { RpcTypedData } from '../functions-core-api.ts';
import type { FailureDetailsPayload } from './history-event.ts';
import { isOrchestratorState, type OrchestratorStateJson } from './orchestrator-state.ts';

/**
 * Translations between what the worker returns and what goes into orchestration history, done the
 * way the Durable extension does them, so orchestrators see the same values and error messages.
 */

/**
 * An activity's return value as TaskCompleted.Result (JSON text). The extension serialises the
 * value it received: a string becomes a JSON string, JSON stays as is, bytes become base64, and
 * "nothing" becomes null (the SDK JSON-parses Result, so it must never be empty).
 */
export function taskResultJson(data: RpcTypedData | null | undefined): string {
  if (!data) return 'null';
  if (typeof data.json === 'string') return data.json;
  if (typeof data.string === 'string') return JSON.stringify(data.string);
  if (typeof data.int === 'number') return String(data.int);
  if (typeof data.double === 'number') return JSON.stringify(data.double);
  const bytes = data.bytes ?? data.stream;
  if (bytes) return JSON.stringify(Buffer.from(bytes).toString('base64'));
  return 'null';
}

/** An activity that threw, as TaskFailed's Reason/Details (and FailureDetails when structured). */
export function activityFailure(
  activityName: string,
  error: unknown,
): { reason: string; details: string; failureDetails?: FailureDetailsPayload } {
  const { message, stack } = describeError(error);
  // The Functions host wraps worker errors as "Result: Failure\nException: …\nStack: …" and the
  // extension prefixes the activity name; apps that parse these messages see the same text here.
  const reason = `Activity function '${activityName}' failed: Result: Failure\nException: ${message}\nStack: ${stack}`;
  const details = JSON.stringify({ Message: reason, StackTrace: stack });
  const failureDetails = structuredFailureDetails(message, stack);
  return failureDetails ? { reason, details, failureDetails } : { reason, details };
}

/**
 * With an exception-properties provider registered, durable-functions replaces the error message
 * by a JSON description of the failure; the extension turns that into FailureDetails, from which
 * the SDK builds a TaskFailedError carrying the properties.
 */
function structuredFailureDetails(
  message: string,
  stack: string,
): FailureDetailsPayload | undefined {
  if (!message.startsWith('{')) return undefined;
  try {
    const parsed = JSON.parse(message) as Record<string, unknown>;
    if (typeof parsed.errorType !== 'string' || typeof parsed.errorMessage !== 'string') {
      return undefined;
    }
    return {
      ErrorType: parsed.errorType,
      ErrorMessage: parsed.errorMessage,
      StackTrace: typeof parsed.stackTrace === 'string' ? parsed.stackTrace : stack,
      IsNonRetriable: parsed.isNonRetriable === true,
      ...(typeof parsed.properties === 'object' && parsed.properties !== null
        ? { Properties: parsed.properties as Record<string, unknown> }
        : {}),
    };
  } catch {
    return undefined;
  }
}

/**
 * The orchestrator handler throws OrchestrationFailureError when user code throws; its message
 * ends with "$OutOfProcData$:" and the orchestrator state, which the extension parses for the
 * original error and the custom status.
 */
export function orchestrationFailure(error: unknown): {
  message: string;
  state: (OrchestratorStateJson & { failureDetails?: FailureDetailsPayload }) | undefined;
} {
  const { message } = describeError(error);
  const marker = '\n\n$OutOfProcData$:';
  const at = message.indexOf(marker);
  if (at < 0) return { message, state: undefined };
  try {
    const state: unknown = JSON.parse(message.slice(at + marker.length));
    if (isOrchestratorState(state)) {
      return { message: state.error ?? message.slice(0, at), state };
    }
  } catch {
    // Not the SDK's payload after all: report the message as it is.
  }
  return { message: message.slice(0, at), state: undefined };
}

/** The handler's return value as the orchestrator state, or undefined if it is not one. */
export function orchestratorStateFrom(
  data: RpcTypedData | null | undefined,
): OrchestratorStateJson | undefined {
  const text = data?.json ?? data?.string;
  if (typeof text !== 'string') return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return isOrchestratorState(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function describeError(error: unknown): { message: string; stack: string } {
  if (error instanceof Error) return { message: error.message, stack: error.stack ?? '' };
  return { message: typeof error === 'string' ? error : JSON.stringify(error), stack: '' };
}
