import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { OrchestrationContext, RetryOptions, Task } from 'durable-functions';

/**
 * An activity as both sides see it: its registered name, and the types of its input and result.
 * The types exist only for the compiler (the phantom member is never set); the one table of
 * contracts drives the registrations and the orchestrator's calls, so the two cannot drift.
 */
export interface ActivityContract<I, O> {
  readonly name: string;
  /** Never present at run time: carries I and O so `callActivity` can infer them. */
  readonly types?: { input: I; output: O };
}

export function activityContract<I, O>(name: string): ActivityContract<I, O> {
  return { name };
}

/**
 * Calls an activity from an orchestrator and answers its typed result. The result is what the
 * implementation registered under the same contract returned (see `registerActivity`), so its
 * type is known by construction: this is the one place that narrows the SDK's `unknown`.
 */
export function* callActivity<I, O>(
  context: OrchestrationContext,
  contract: ActivityContract<I, O>,
  input: I,
  retry?: RetryOptions,
): Generator<Task, O, unknown> {
  const task = retry
    ? context.df.callActivityWithRetry(contract.name, retry, input)
    : context.df.callActivity(contract.name, input);
  return (yield task) as O;
}

/**
 * Registers an implementation under its contract. The input comes from our own orchestrator
 * through the same contract. Failures are reported and rethrown so Durable retries them.
 */
export function registerActivity<I, O, S>(
  contract: ActivityContract<I, O>,
  run: (input: I, services: S) => Promise<O>,
  services: () => Promise<S>,
  onFailure: (context: InvocationContext, error: unknown) => void,
): void {
  df.app.activity(contract.name, {
    handler: async (input: unknown, context: InvocationContext) => {
      try {
        return await run(input as I, await services());
      } catch (error) {
        onFailure(context, error);
        throw error;
      }
    },
  });
}
