import { invokeFunction, type InvocationLogRecord } from '../invoke-function.ts';
import type { FunctionApp } from '../load-function-app.ts';
import type { RegisteredFunction } from '../registered-function.ts';
import { orchestrationFailure, orchestratorStateFrom } from './durable-payloads.ts';
import type { OrchestrationEpisode } from './orchestration-episode.ts';
import type { OrchestratorStateJson } from './orchestrator-state.ts';

/** What one run of the orchestrator function gave: its state, or a failure already applied. */
export type OrchestratorRun =
  { ok: true; state: OrchestratorStateJson; context: unknown } | { ok: false; message: string };

/**
 * Runs the SDK's orchestrator handler once over the episode's history (the trigger value in the
 * host's JSON shape). A thrown orchestration failure or an answer that is no orchestrator state
 * fails the episode here; a state is returned for the caller to check and apply.
 */
export async function invokeOrchestrator(
  app: FunctionApp,
  fn: RegisteredFunction,
  episode: OrchestrationEpisode,
  log?: (record: InvocationLogRecord) => void,
): Promise<OrchestratorRun> {
  const outcome = await invokeFunction(app, fn, {
    inputData: [
      { name: fn.triggerBindingName, data: { string: JSON.stringify(episode.binding()) } },
    ],
    ...(log ? { log } : {}),
  });
  if (!outcome.ok) {
    const failure = orchestrationFailure(outcome.error);
    episode.applyFailure(failure.message, {
      ...(failure.state ? { customStatus: failure.state.customStatus } : {}),
      ...(failure.state?.failureDetails ? { failureDetails: failure.state.failureDetails } : {}),
    });
    return { ok: false, message: failure.message };
  }
  const state = orchestratorStateFrom(outcome.response.returnValue);
  if (!state) {
    const message = 'The orchestrator function returned no orchestration state.';
    episode.applyFailure(message);
    return { ok: false, message };
  }
  return { ok: true, state, context: outcome.context };
}
