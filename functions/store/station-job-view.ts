import type { StationJob } from '../../core/station-api/station-api-schemas.ts';
import type { JobRecord } from './job-record.ts';

/**
 * A job as the station API shows it (core/station-api): what a station needs to pick, program
 * and label a key. The employee's object id, the orchestration id, the credential and the
 * pre-fetched options stay on the server. A lease is shown only to the caller holding it
 * (`viewer`, an Entra object id): its id is what heartbeats, failures and shipments are made
 * under, so nobody else may learn it.
 */
export function toStationJob(record: JobRecord, viewer?: string): StationJob {
  const { userId: _userId, ...recipient } = record.recipient;
  return {
    jobId: record.jobId,
    requestId: record.requestId,
    keyClass: record.keyClass,
    recipient,
    approvedAt: record.approvedAt,
    attempts: record.attempts,
    state: record.state,
    ...(record.lease && viewer !== undefined && record.lease.holder === viewer
      ? {
          lease: {
            stationId: record.lease.stationId,
            leaseId: record.lease.leaseId,
            expiresAt: record.lease.expiresAt,
          },
        }
      : {}),
    ...(record.methodId === undefined ? {} : { methodId: record.methodId }),
  };
}
