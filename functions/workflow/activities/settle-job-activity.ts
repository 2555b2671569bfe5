import type { CourierServices } from '../../courier-services.ts';
import { JobQueueError } from '../../store/job-queue-error.ts';
import type { SettleJobInput } from '../request-activities.ts';

/**
 * Ends a job's part in the queue: records an outcome the station is waiting for, or closes the
 * job (the request ended). Both are idempotent.
 */
export async function settleJob(
  input: SettleJobInput,
  services: Pick<CourierServices, 'jobs' | 'attempts'>,
): Promise<void> {
  if (input.action === 'outcome') {
    await services.attempts.decide(input.jobId, input.attempt, input.outcome);
    return;
  }
  try {
    await services.jobs.close(input.jobId, input.reason);
  } catch (error) {
    // A request that ends before approval never had a job.
    if (error instanceof JobQueueError && error.code === 'NOT_FOUND') return;
    throw error;
  }
}
