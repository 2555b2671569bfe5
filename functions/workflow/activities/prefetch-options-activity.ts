import { GraphError } from '../../../core/graph/graph-error.ts';
import type { CourierServices } from '../../courier-services.ts';
import type { PrefetchOptionsInput, PrefetchOptionsResult } from '../request-activities.ts';

/**
 * With pre-fetch on (beta, long challenge timeout), fetches the creation options at approval
 * and keeps them with the job. Best effort: on failure the station fetches them just in time.
 */
export async function prefetchOptions(
  input: PrefetchOptionsInput,
  services: Pick<CourierServices, 'graph' | 'jobs'>,
): Promise<PrefetchOptionsResult> {
  try {
    const fetched = await services.graph.getCreationOptions(input.userId);
    await services.jobs.setPrefetchedOptions(input.jobId, {
      options: fetched.raw as Record<string, unknown>,
      expiresAt: new Date(fetched.value.challengeTimeoutDateTime).toISOString(),
    });
    return { prefetched: true };
  } catch (error) {
    if (error instanceof GraphError) return { prefetched: false, reason: error.code };
    throw error;
  }
}
