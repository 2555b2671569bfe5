import { officeAddressLines, type OfficeFields } from '../../../core/request/office-address.ts';
import type { CourierServices } from '../../courier-services.ts';
import { JobQueueError } from '../../store/job-queue-error.ts';
import type { EnqueueJobInput } from '../request-activities.ts';
import { requestInstanceId } from '../request-input.ts';

/**
 * Puts an approved request's job in the station queue (idempotent by job id). After a lost
 * station or a failed key whose credential was deleted, it takes the held job back instead.
 */
export async function enqueueJob(
  input: EnqueueJobInput,
  services: Pick<CourierServices, 'jobs' | 'graph'>,
): Promise<void> {
  if (input.requeue) {
    try {
      await services.jobs.requeue(input.jobId, input.requeue.leaseId, { countAttempt: true });
    } catch (error) {
      // Already back in the queue (a retried activity, or the lease was released): done.
      if (!(error instanceof JobQueueError && error.code === 'LEASE_LOST')) throw error;
      const job = await services.jobs.get(input.jobId);
      if (job.state !== 'queued' && job.state !== 'leased') throw error;
    }
    return;
  }
  const recipient = await services.graph.getUser(input.recipient.id);
  await services.jobs.enqueue({
    jobId: input.jobId,
    requestId: input.requestId,
    instanceId: requestInstanceId(input.requestId),
    keyClass: input.keyClass,
    recipient: {
      userId: recipient.id,
      displayName: recipient.displayName ?? input.recipient.displayName ?? recipient.id,
      userPrincipalName:
        recipient.userPrincipalName ?? input.recipient.userPrincipalName ?? recipient.id,
      ...((input.shippingAddress ?? shippingAddressOf(recipient))
        ? { shippingAddress: input.shippingAddress ?? shippingAddressOf(recipient) }
        : {}),
    },
    approvedAt: input.approvedAt,
  });
}

/** The office address from the directory, when the request did not give one. */
function shippingAddressOf(user: OfficeFields): string | undefined {
  const lines = officeAddressLines(user);
  return lines.length > 0 ? lines.join(', ') : undefined;
}
