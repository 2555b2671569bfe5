import type { StationJob } from '../../core/station-api/station-api-schemas.ts';
import type { JobRecord } from './job-record.ts';

/**
 * A job as the station API shows it (core/station-api): what a station needs to pick, program
 * and label a key. The employee's object id, the orchestration id, the credential and the
 * pre-fetched options stay on the server; a lease is shown only while a station holds the job.
 */
export function toStationJob(record: JobRecord): StationJob {
  const { userId: _userId, ...recipient } = record.recipient;
  return {
    jobId: record.jobId,
    requestId: record.requestId,
    keyClass: record.keyClass,
    recipient,
    approvedAt: record.approvedAt,
    attempts: record.attempts,
    state: record.state,
    ...(record.lease ? { lease: record.lease } : {}),
    ...(record.methodId === undefined ? {} : { methodId: record.methodId }),
  };
}
