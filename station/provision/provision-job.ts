import type { FailureReason } from '../service/station-api-client.ts';
import { StationApiError } from '../service/station-api-error.ts';
import type { ProvisionError } from './provision-error.ts';
import {
  provisionKey,
  type ProvisionInput,
  type ProvisionResult,
  type ProvisionService,
} from './provision-key.ts';

/** What the job runner needs of the service besides the pipeline's calls. */
export interface JobService extends ProvisionService {
  heartbeat(jobId: string, leaseId: string, leaseSeconds?: number): Promise<string>;
  fail(
    jobId: string,
    report: { leaseId: string; attempt: number; reason: FailureReason; detail: string },
  ): Promise<void>;
}

export interface ProvisionJobInput extends ProvisionInput {
  service: JobService;
  /** Seconds between heartbeats; a third of the lease is a good value. Default 30. */
  heartbeatSeconds?: number;
  leaseSeconds?: number;
}

/**
 * One claimed job on one key: heartbeats keep the lease while the pipeline runs (a lost lease
 * stops the key at once), and a failure is reported so the job goes back to the queue (after
 * registration the service deletes the credential first). The sign-in check's failure was
 * already acted on by the service, and a lost lease is not ours to report.
 */
export async function provisionJob(input: ProvisionJobInput): Promise<ProvisionResult> {
  const { job, leaseId, service } = input;
  const stop = new AbortController();
  const signal = input.signal ? AbortSignal.any([input.signal, stop.signal]) : stop.signal;
  let lost: StationApiError | undefined;
  const timer = setInterval(
    () => {
      service.heartbeat(job.jobId, leaseId, input.leaseSeconds).catch((error: unknown) => {
        if (error instanceof StationApiError && error.code === 'LEASE_LOST') {
          lost = error;
          stop.abort(error);
        }
      });
    },
    (input.heartbeatSeconds ?? 30) * 1000,
  );
  timer.unref();
  try {
    return await provisionKey({ ...input, signal });
  } catch (error) {
    const failure = error as ProvisionError;
    if (lost && failure.code === 'ABORTED') {
      throw Object.assign(failure, {
        message: `${lost.message}${failure.needsReset ? ' Reset the key before it is used again.' : ''}`,
      });
    }
    if (failure.code !== 'SIGN_IN_FAILED' && failure.code !== 'LEASE_LOST') {
      await service
        .fail(job.jobId, {
          leaseId,
          attempt: failure.attempt ?? job.attempts + 1,
          reason: failureReason(failure),
          detail: `${failure.code}: ${failure.message}`.slice(0, 2000),
        })
        .catch(() => undefined);
    }
    throw failure;
  } finally {
    clearInterval(timer);
  }
}

function failureReason(failure: ProvisionError): FailureReason {
  switch (failure.code) {
    case 'KEY_NOT_ALLOWED':
    case 'FIRMWARE_TOO_OLD':
    case 'CAPABILITY_MISSING':
      return 'wrong-key-class';
    case 'REGISTRATION_REFUSED':
      return 'policy-refused';
    case 'ABORTED':
      return 'operator-aborted';
    default:
      return failure.needsReset ? 'needs-reset' : 'key-error';
  }
}
