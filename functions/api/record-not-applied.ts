import type { z } from 'zod';
import { RequestState } from '../../core/request/request-state.ts';
import type { pinChangeConfirmationSchema } from '../../core/station-api/station-api-schemas.ts';
import type { JobRecord } from '../store/job-record.ts';
import { ApiError } from './api-error.ts';
import type { ApiCall } from './http-api.ts';
import { audited } from './station-api.ts';

/**
 * A key without authenticatorConfig cannot be made to demand a new PIN. Only a key class that
 * accepts such keys lets it through, and the job's audit trail records what the key lacks.
 */
export async function recordNotApplied(
  call: ApiCall,
  job: JobRecord,
  lease: { stationId: string; leaseId: string },
  body: z.output<typeof pinChangeConfirmationSchema>,
): Promise<void> {
  const notApplied = new Set(body.notApplied ?? []);
  if (!body.forcePinChange) notApplied.add('forcePINChange');
  if (notApplied.size === 0) return;
  if (!body.forcePinChange && !job.keyClass.allowWithoutAuthenticatorConfig) {
    throw new ApiError(
      422,
      'FORCE_PIN_CHANGE_REQUIRED',
      `${job.keyClass.name} keys must demand a new PIN at first use; reset this key and program one that supports forcePINChange.`,
    );
  }
  await audited(call, job, 'capabilities-not-applied', {
    stationId: lease.stationId,
    leaseId: lease.leaseId,
    to: RequestState.Registered,
    detail: `Not applied to this key (accepted by ${job.keyClass.name}): ${[...notApplied].join(', ')}.`,
  });
}
