import type { CourierServices } from '../courier-services.ts';
import type { JobRecord } from '../store/job-record.ts';

/**
 * Finds registered jobs whose station stopped sending heartbeats before confirming
 * forcePINChange, and tells each one's workflow once: the key's PIN died with the station, so
 * the credential must be deleted and the job redone. Runs from the timer trigger and, cheaply,
 * before stations list or claim jobs.
 */
export async function sweepLostStations(
  services: Pick<CourierServices, 'jobs' | 'attempts'>,
  tell: (
    job: JobRecord,
    event: { stationId: string; leaseId: string; at: string },
  ) => Promise<void>,
  now: number = Date.now(),
): Promise<number> {
  let told = 0;
  for (const job of await services.jobs.listByState(['registered'])) {
    const lease = job.lease;
    if (!lease || Date.parse(lease.expiresAt) > now) continue;
    if (!(await services.attempts.markLeaseLost(job.jobId, lease.leaseId))) continue;
    await tell(job, {
      stationId: lease.stationId,
      leaseId: lease.leaseId,
      at: new Date(now).toISOString(),
    });
    told += 1;
  }
  return told;
}
