import type { HttpResponseInit } from '@azure/functions';
import * as df from 'durable-functions';
import { z } from 'zod';
import { meetsMinimumFirmware } from '../../core/request/key-class.ts';
import { RequestState } from '../../core/request/request-state.ts';
import {
  claimRequestSchema,
  failureReportSchema,
  heartbeatRequestSchema,
  leaseRequestSchema,
  pinChangeConfirmationSchema,
  registrationSubmissionSchema,
  shipmentSchema,
} from '../../core/station-api/station-api-schemas.ts';
import type { CourierServices } from '../courier-services.ts';
import type { JobRecord } from '../store/job-record.ts';
import { toStationJob } from '../store/station-job-view.ts';
import { recordStationClaim } from '../store/station-claim-stage.ts';
import { RequestEvent } from '../workflow/request-events.ts';
import { decodeCreationOptions } from '../../core/graph/decode-creation-options.ts';
import { creationOptionsSchema } from '../../core/graph/schemas/creation-options-schema.ts';
import { ApiError } from './api-error.ts';
import { verifySubmittedAttestation } from './verify-submitted-attestation.ts';
import { recordNotApplied } from './record-not-applied.ts';
import { rememberForSignInCheck } from './remember-for-sign-in-check.ts';
import {
  json,
  readBody,
  registerRoutes,
  STATION_ROLE,
  validate,
  type ApiCall,
} from './http-api.ts';
import { sweepLostStations } from '../workflow/sweep-lost-stations.ts';

const access = { role: STATION_ROLE };
const jobIdParam = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,200}$/, 'job ids are letters, digits, - and _');

/** Options whose challenge expires sooner than this are fetched again rather than handed out. */
const OPTIONS_MARGIN_MS = 2 * 60_000;

export function operatorOf(call: ApiCall) {
  return {
    id: call.principal.userId,
    ...(call.principal.name ? { displayName: call.principal.name } : {}),
    ...(call.principal.userPrincipalName
      ? { userPrincipalName: call.principal.userPrincipalName }
      : {}),
  };
}

export function jobIdOf(call: ApiCall): string {
  return validate(jobIdParam, call.request.params.jobId, 'jobId');
}

/**
 * The job, held by the caller's lease (lapsed is fine as long as nobody else took it), claimed
 * by the same caller (`holder`, the Entra object id): a lease id alone proves nothing.
 */
export function requireLease(
  job: JobRecord,
  leaseId: string,
  holder: string,
): { stationId: string; leaseId: string } {
  const lease = job.lease;
  if (lease?.leaseId === leaseId && (lease.holder === undefined || lease.holder === holder)) {
    return lease;
  }
  throw new ApiError(
    409,
    'LEASE_LOST',
    job.state === 'closed'
      ? `Job ${job.jobId} was closed (${job.closeReason ?? 'request ended'}); stop working on it and reset the key.`
      : `Your lease on job ${job.jobId} ended; claim the job again before going on.`,
  );
}

export async function raise(
  call: ApiCall,
  job: JobRecord,
  event: string,
  data: unknown,
): Promise<void> {
  await df.getClient(call.context).raiseEvent(job.instanceId, event, data);
}

/** GET station/jobs: jobs a station may claim, oldest approval first. */
async function listJobs(call: ApiCall): Promise<HttpResponseInit> {
  await sweepLostStations(call.services, (job, data) =>
    raise(call, job, RequestEvent.StationLost, data),
  );
  const jobs = await call.services.jobs.listAvailable({ limit: 50 });
  return json(200, { jobs: jobs.map((job) => toStationJob(job, call.principal.userId)) });
}

/** GET station/queue: every job the mailroom has in hand, for the operators' queue view. */
async function queue(call: ApiCall): Promise<HttpResponseInit> {
  const jobs = await call.services.jobs.listByState([
    'queued',
    'leased',
    'registered',
    'pin-change-confirmed',
  ]);
  return json(200, { jobs: jobs.map((job) => toStationJob(job, call.principal.userId)) });
}

export async function audited(
  call: ApiCall,
  job: JobRecord,
  event: string,
  fields: { stationId: string; leaseId: string; detail?: string; to?: RequestState },
): Promise<void> {
  const operator = operatorOf(call);
  await call.services.audit.append({
    recordId: `${job.requestId}:${event}:${fields.leaseId}`,
    requestId: job.requestId,
    at: new Date().toISOString(),
    actor: {
      kind: 'operator',
      id: operator.id,
      ...(operator.displayName ? { displayName: operator.displayName } : {}),
    },
    to: fields.to ?? RequestState.Programming,
    event,
    jobId: job.jobId,
    stationId: fields.stationId,
    operator: {
      id: operator.id,
      ...(operator.displayName ? { displayName: operator.displayName } : {}),
    },
    ...(fields.detail ? { detail: fields.detail } : {}),
  });
}

/** POST station/claim-next, or station/jobs/{jobId}/claim: a lease on one job. */
async function claim(call: ApiCall): Promise<HttpResponseInit> {
  const body = await readBody(call.request, claimRequestSchema);
  const { services } = call;
  const seconds = Math.min(
    body.leaseSeconds ?? services.settings.maxLeaseSeconds,
    services.settings.maxLeaseSeconds,
  );
  await sweepLostStations(services, (job, data) =>
    raise(call, job, RequestEvent.StationLost, data),
  );
  const jobId = call.request.params.jobId;
  const claimed = jobId
    ? await services.jobs.claim(
        validate(jobIdParam, jobId, 'jobId'),
        body.stationId,
        seconds,
        call.principal.userId,
      )
    : await services.jobs.claimNext(body.stationId, seconds, call.principal.userId);
  if (!claimed) return { status: 204 };
  await audited(call, claimed.job, 'claimed', {
    stationId: body.stationId,
    leaseId: claimed.lease.leaseId,
    detail: `Attempt ${claimed.job.attempts + 1}`,
  });
  await recordStationClaim(services, {
    requestId: claimed.job.requestId,
    leaseId: claimed.lease.leaseId,
    at: new Date().toISOString(),
  });
  return json(200, {
    job: toStationJob(claimed.job, call.principal.userId),
    lease: { leaseId: claimed.lease.leaseId, expiresAt: claimed.lease.expiresAt },
  });
}

/** POST station/jobs/{jobId}/heartbeat: keeps the lease alive while the key is worked on. */
async function heartbeat(call: ApiCall): Promise<HttpResponseInit> {
  const body = await readBody(call.request, heartbeatRequestSchema);
  const max = call.services.settings.maxLeaseSeconds;
  requireLease(await call.services.jobs.get(jobIdOf(call)), body.leaseId, call.principal.userId);
  const job = await call.services.jobs.heartbeat(
    jobIdOf(call),
    body.leaseId,
    Math.min(body.leaseSeconds ?? max, max),
  );
  return json(200, { lease: { leaseId: body.leaseId, expiresAt: job.lease!.expiresAt } });
}

/**
 * POST station/jobs/{jobId}/creation-options: Graph's options for the job, fetched now (just in
 * time: v1.0 challenges live 5 minutes), or pre-fetched ones that are still fresh.
 */
async function creationOptions(call: ApiCall): Promise<HttpResponseInit> {
  const { leaseId } = await readBody(call.request, leaseRequestSchema);
  const { services } = call;
  const job = await services.jobs.get(jobIdOf(call));
  requireLease(job, leaseId, call.principal.userId);
  if (job.state !== 'leased') {
    throw new ApiError(
      409,
      'INVALID_STATE',
      `Job ${job.jobId} is ${job.state}; its key is already registered.`,
    );
  }
  const prefetched = job.prefetchedOptions;
  if (prefetched && Date.parse(prefetched.expiresAt) - Date.now() > OPTIONS_MARGIN_MS) {
    await recordIssued(services, job.jobId, prefetched.options, prefetched.expiresAt);
    return json(200, { options: prefetched.options, expiresAt: prefetched.expiresAt });
  }
  // Expired (or never fetched): fetch anew, and drop stale pre-fetched options.
  if (prefetched) await services.jobs.setPrefetchedOptions(job.jobId, undefined);
  const fetched = await services.graph.getCreationOptions(job.recipient.userId);
  call.log.info('creation-options-fetched', {
    jobId: job.jobId,
    graphRequestId: fetched.requestId,
    expiresAt: fetched.value.challengeTimeoutDateTime,
  });
  const expiresAt = new Date(fetched.value.challengeTimeoutDateTime).toISOString();
  await recordIssued(services, job.jobId, fetched.raw, expiresAt);
  return json(200, {
    options: fetched.raw,
    expiresAt,
    ...(fetched.requestId ? { graphRequestId: fetched.requestId } : {}),
  });
}

/** Keeps what a station was handed, so its registration is verified against exactly that. */
async function recordIssued(
  services: ApiCall['services'],
  jobId: string,
  raw: unknown,
  expiresAt: string,
): Promise<void> {
  const decoded = decodeCreationOptions(creationOptionsSchema.parse(raw));
  await services.issuedOptions.record({
    jobId,
    challenge: decoded.challenge,
    rpId: decoded.rp.id,
    expiresAt,
  });
}

/**
 * POST station/jobs/{jobId}/result: the programmed key's registration and its PIN envelope. The
 * envelope goes to the vault, the registration to the workflow, which asks Graph; the call waits
 * for that answer a little while, then says "pending" (repeat the same call to keep waiting).
 */
async function result(call: ApiCall): Promise<HttpResponseInit> {
  const submission = await readBody(call.request, registrationSubmissionSchema);
  const { services } = call;
  const job = await services.jobs.get(jobIdOf(call));
  const stored = await services.attempts.get(job.jobId, submission.attempt);
  if (!stored) {
    const lease = requireLease(job, submission.leaseId, call.principal.userId);
    if (job.state !== 'leased') {
      throw new ApiError(
        409,
        'INVALID_STATE',
        `Job ${job.jobId} is ${job.state}; it takes no new registration.`,
      );
    }
    // The AAGUID and credential id come from the verified attestation, not from the station.
    const attested = await verifySubmittedAttestation(job.jobId, submission, (challenge) =>
      services.issuedOptions.find(job.jobId, challenge),
    );
    const aaguid = attested.aaguid;
    if (!job.keyClass.allowedAaguids.includes(aaguid)) {
      throw new ApiError(
        422,
        'WRONG_KEY_CLASS',
        `This key (AAGUID ${aaguid}) is not a ${job.keyClass.name}; reset it, and program a key of that class.`,
      );
    }
    if (submission.firmware) {
      const [major, minor, patch] = submission.firmware.split('.').map(Number) as [
        number,
        number,
        number,
      ];
      if (!meetsMinimumFirmware({ major, minor, patch }, job.keyClass.minimumFirmware)) {
        throw new ApiError(
          422,
          'FIRMWARE_TOO_OLD',
          `This key's firmware ${submission.firmware} is older than ${job.keyClass.minimumFirmware}, the minimum for ${job.keyClass.name}; use another key.`,
        );
      }
    }
    if (submission.pinEnvelope.kid !== services.pinKey.kid) {
      throw new ApiError(
        422,
        'ENVELOPE_WRONG_KEY',
        'The PIN was sealed to a key the service no longer uses; fetch station/pin-envelope-key again, reset the key and program it anew.',
      );
    }
    // A new attempt replaces the envelope of an earlier, refused one.
    await services.pins.destroy(job.requestId);
    await services.pins.put(job.requestId, submission.pinEnvelope);
    const recorded = await services.attempts.submit({
      jobId: job.jobId,
      attempt: submission.attempt,
      leaseId: submission.leaseId,
      stationId: lease.stationId,
      credentialId: submission.credentialId,
    });
    await rememberForSignInCheck(services, job.jobId, submission);
    if (recorded.first) {
      const { pinEnvelope: _sealed, ...registration } = submission;
      await raise(call, job, RequestEvent.RegistrationSubmitted, {
        ...registration,
        aaguid,
        stationId: lease.stationId,
        operator: operatorOf(call),
        at: new Date().toISOString(),
      });
    }
  } else if (stored.credentialId !== submission.credentialId) {
    throw new ApiError(
      409,
      'ATTEMPT_REUSED',
      `Attempt ${submission.attempt} of job ${job.jobId} was submitted with another credential; submit this one as attempt ${submission.attempt + 1}.`,
    );
  }
  const outcome = await waitForOutcome(services, job.jobId, submission.attempt);
  if (!outcome) {
    return json(202, { status: 'pending' }, { 'retry-after': '5' });
  }
  return json(200, outcome);
}

async function waitForOutcome(services: CourierServices, jobId: string, attempt: number) {
  const deadline = Date.now() + services.settings.resultWaitSeconds * 1000;
  for (let delay = 100; ; delay = Math.min(delay * 2, 1000)) {
    const stored = await services.attempts.get(jobId, attempt);
    if (stored?.outcome) return stored.outcome;
    if (Date.now() + delay > deadline) return undefined;
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

/** POST station/jobs/{jobId}/failure: the key could not be programmed; the job goes back. */
async function failure(call: ApiCall): Promise<HttpResponseInit> {
  const report = await readBody(call.request, failureReportSchema);
  const { services } = call;
  let job = await services.jobs.get(jobIdOf(call));
  if (job.endedLease?.leaseId === report.leaseId && job.lease?.leaseId !== report.leaseId) {
    return json(200, { requeued: true });
  }
  const lease = requireLease(job, report.leaseId, call.principal.userId);
  const registered = job.state !== 'leased';
  if (!registered) {
    // Before registration the queue takes the job back at once; the envelope is void.
    job = await services.jobs.release(job.jobId, report.leaseId, {
      countAttempt: report.reason !== 'operator-aborted',
    });
    await services.pins.destroy(job.requestId);
  }
  await raise(call, job, RequestEvent.StationFailure, {
    stationId: lease.stationId,
    leaseId: report.leaseId,
    operator: operatorOf(call),
    attempt: report.attempt,
    reason: report.reason,
    detail: report.detail,
    at: new Date().toISOString(),
  });
  // After registration the workflow deletes the credential first, then requeues the job.
  return json(registered ? 202 : 200, { requeued: !registered });
}

/** POST station/jobs/{jobId}/pin-change-confirmed: forcePINChange is set and read back. */
async function pinChangeConfirmed(call: ApiCall): Promise<HttpResponseInit> {
  const body = await readBody(call.request, pinChangeConfirmationSchema);
  const { services } = call;
  const before = await services.jobs.get(jobIdOf(call));
  const lease = requireLease(before, body.leaseId, call.principal.userId);
  await recordNotApplied(call, before, lease, body);
  const job = await services.jobs.markPinChangeConfirmed(before.jobId, body.leaseId);
  if (before.state === 'registered') {
    await raise(call, job, RequestEvent.PinChangeConfirmed, {
      stationId: lease.stationId,
      leaseId: body.leaseId,
      operator: operatorOf(call),
      minPinLength: body.minPinLength,
      at: new Date().toISOString(),
    });
  }
  return json(200, { job: toStationJob(job, call.principal.userId) });
}

/** POST station/jobs/{jobId}/shipment: the key left the mailroom with this tracking number. */
async function shipment(call: ApiCall): Promise<HttpResponseInit> {
  const body = await readBody(call.request, shipmentSchema);
  const { services } = call;
  const before = await services.jobs.get(jobIdOf(call));
  if (before.state === 'shipped' && before.endedLease?.leaseId === body.leaseId) {
    return json(200, { job: toStationJob(before, call.principal.userId) });
  }
  const lease = requireLease(before, body.leaseId, call.principal.userId);
  const job = await services.jobs.markShipped(before.jobId, body.leaseId, {
    carrier: body.carrier,
    trackingNumber: body.trackingNumber,
  });
  await raise(call, job, RequestEvent.Shipped, {
    stationId: lease.stationId,
    leaseId: body.leaseId,
    operator: operatorOf(call),
    carrier: body.carrier,
    trackingNumber: body.trackingNumber,
    at: new Date().toISOString(),
  });
  return json(200, { job: toStationJob(job, call.principal.userId) });
}

/** GET station/pin-envelope-key: the public key stations seal PINs to. */
async function pinEnvelopeKey(call: ApiCall): Promise<HttpResponseInit> {
  const jwk = await call.services.pinKey.publicKeyJwk();
  return json(200, { kid: jwk.kid, alg: 'RSA-OAEP-256', jwk });
}

/** Registers the station API's HTTP functions (docs/design.md §3), all under /api/station. */
export function registerStationApi(): void {
  registerRoutes(access, [
    ['station-list-jobs', 'GET', 'station/jobs', listJobs],
    ['station-queue', 'GET', 'station/queue', queue],
    ['station-claim-next', 'POST', 'station/claim-next', claim],
    ['station-claim', 'POST', 'station/jobs/{jobId}/claim', claim],
    ['station-heartbeat', 'POST', 'station/jobs/{jobId}/heartbeat', heartbeat],
    ['station-creation-options', 'POST', 'station/jobs/{jobId}/creation-options', creationOptions],
    ['station-result', 'POST', 'station/jobs/{jobId}/result', result],
    ['station-failure', 'POST', 'station/jobs/{jobId}/failure', failure],
    [
      'station-pin-change-confirmed',
      'POST',
      'station/jobs/{jobId}/pin-change-confirmed',
      pinChangeConfirmed,
    ],
    ['station-shipment', 'POST', 'station/jobs/{jobId}/shipment', shipment],
    ['station-pin-envelope-key', 'GET', 'station/pin-envelope-key', pinEnvelopeKey],
  ]);
}
