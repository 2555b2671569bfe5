import type { RetryOptionsJson } from './orchestrator-state.ts';

/**
 * The wait before the next attempt, as the Durable extension computes it (DurableTask.Core
 * RetryOptions): first interval × backoff^retryCount, capped by the maximum interval.
 * `retryCount` is 0 after the first failure.
 *
 * `retryTimeoutInMilliseconds` is deliberately not applied: the SDK's RetryableTask keeps waiting
 * for the retry timer regardless, so stopping early would leave the orchestration hanging; the
 * attempt count alone ends the chain, which is what durable-functions users observe.
 */
export function retryDelay(options: RetryOptionsJson, retryCount: number): number {
  const coefficient = options.backoffCoefficient ?? 1;
  const delay = options.firstRetryIntervalInMilliseconds * Math.pow(coefficient, retryCount);
  const cap = options.maxRetryIntervalInMilliseconds;
  const capped = cap !== undefined && cap > 0 && delay > cap ? cap : delay;
  return Number.isFinite(capped) && capped > 0 ? capped : options.firstRetryIntervalInMilliseconds;
}
