import { randomBytes } from 'node:crypto';
import type { HttpResponseInit } from '@azure/functions';
import { RequestState } from '../../core/request/request-state.ts';
import {
  signInAssertionSchema,
  signInChallengeRequestSchema,
} from '../../core/station-api/sign-in-check-schemas.ts';
import { RequestEvent } from '../workflow/request-events.ts';
import { ApiError } from './api-error.ts';
import { json, readBody, registerRoutes, STATION_ROLE, type ApiCall } from './http-api.ts';
import { audited, jobIdOf, operatorOf, raise, requireLease } from './station-api.ts';
import { registeredCredential, verifySignIn } from '../../core/webauthn/verify-sign-in.ts';

/** Sign-in challenges live as long as Entra's: five minutes. */
const CHALLENGE_LIFETIME_MS = 5 * 60_000;

/** The registered job, its lease and the registration the check is about, or an ApiError. */
async function registeredJob(call: ApiCall, leaseId: string, attempt: number) {
  const job = await call.services.jobs.get(jobIdOf(call));
  const lease = requireLease(job, leaseId, call.principal.userId);
  if (job.state !== 'registered') {
    throw new ApiError(
      409,
      'INVALID_STATE',
      job.state === 'leased'
        ? `Job ${job.jobId} has no registered key yet; submit the result first.`
        : `Job ${job.jobId} is ${job.state}; its sign-in check is over.`,
    );
  }
  const registration = await call.services.signInChecks.registration(job.jobId, attempt);
  if (!registration || registration.credentialId !== job.credentialId) {
    throw new ApiError(
      409,
      'ATTEMPT_MISMATCH',
      `Attempt ${attempt} is not the registration Graph accepted for job ${job.jobId}; check the key of the attempt that was registered.`,
    );
  }
  return { job, lease, registration };
}

/**
 * POST station/jobs/{jobId}/sign-in-challenge: a fresh, single-use challenge for the registered
 * credential. A new one replaces an unanswered one (the operator may have been slow).
 */
async function signInChallenge(call: ApiCall): Promise<HttpResponseInit> {
  const body = await readBody(call.request, signInChallengeRequestSchema);
  const { job, registration } = await registeredJob(call, body.leaseId, body.attempt);
  const previous = await call.services.signInChecks.check(job.jobId, body.leaseId);
  if (previous?.outcome) {
    throw new ApiError(
      409,
      'ALREADY_CHECKED',
      `The key of job ${job.jobId} already ${previous.outcome} its sign-in check.`,
    );
  }
  const challenge = randomBytes(32).toString('base64url');
  const expiresAt = new Date(Date.now() + CHALLENGE_LIFETIME_MS).toISOString();
  await call.services.signInChecks.save({
    jobId: job.jobId,
    leaseId: body.leaseId,
    attempt: body.attempt,
    challenge,
    expiresAt,
  });
  return json(200, {
    challenge,
    rpId: registration.rpId,
    origin: `https://${registration.rpId}`,
    allowCredentials: [{ type: 'public-key', id: registration.credentialId }],
    userVerification: 'required',
    expiresAt,
  });
}

/**
 * POST station/jobs/{jobId}/sign-in-check: the key's assertion, verified with the public key of
 * the registered attestation and audited. A failure is final for this key: the service tells the
 * workflow, which deletes the credential from Entra and puts the job back in the queue.
 */
async function signInCheck(call: ApiCall): Promise<HttpResponseInit> {
  const assertion = await readBody(call.request, signInAssertionSchema);
  const { services } = call;
  const job = await services.jobs.get(jobIdOf(call));
  const existing = await services.signInChecks.check(job.jobId, assertion.leaseId);
  // A repeat of a decided check gives the same answer (the station may have lost the reply).
  if (existing?.outcome) return decided(existing);
  const { lease, registration } = await registeredJob(call, assertion.leaseId, assertion.attempt);
  if (!existing || existing.attempt !== assertion.attempt) {
    throw new ApiError(409, 'NO_CHALLENGE', 'Ask for a sign-in challenge first.');
  }
  if (Date.parse(existing.expiresAt) <= Date.now()) {
    throw new ApiError(
      409,
      'CHALLENGE_EXPIRED',
      'The sign-in challenge expired; ask for a new one and touch the key again.',
    );
  }
  const verdict = await verifySignIn(
    registeredCredential(registration.attestationObject, registration.rpId),
    existing.challenge,
    assertion,
  );
  const at = new Date().toISOString();
  const check = {
    ...existing,
    outcome: verdict.verified ? ('passed' as const) : ('failed' as const),
    ...(verdict.verified ? { signCount: verdict.signCount } : { detail: verdict.reason }),
    decidedAt: at,
  };
  await services.signInChecks.save(check);
  await audited(call, job, verdict.verified ? 'sign-in-checked' : 'sign-in-check-failed', {
    stationId: lease.stationId,
    leaseId: assertion.leaseId,
    to: RequestState.Registered,
    detail: verdict.verified
      ? `Credential ${registration.credentialId} signed in with its PIN (counter ${verdict.signCount}).`
      : `Credential ${registration.credentialId} failed the sign-in check: ${verdict.reason}`,
  });
  if (!verdict.verified) {
    await raise(call, job, RequestEvent.StationFailure, {
      stationId: lease.stationId,
      leaseId: assertion.leaseId,
      operator: operatorOf(call),
      attempt: assertion.attempt,
      reason: 'sign-in-failed',
      detail: `The key failed the sign-in check: ${verdict.reason}`,
      at,
    });
  }
  return decided(check);
}

function decided(check: { outcome?: 'passed' | 'failed'; signCount?: number; decidedAt?: string }) {
  if (check.outcome === 'passed') {
    return json(200, {
      verified: true,
      signCount: check.signCount ?? 0,
      checkedAt: check.decidedAt,
    });
  }
  throw new ApiError(
    422,
    'SIGN_IN_FAILED',
    'This key failed the sign-in check: its registration is being deleted and the job goes back to the queue. Reset the key and set it aside for IT.',
  );
}

/** Registers the sign-in check's two station API routes. */
export function registerSignInCheckApi(): void {
  registerRoutes({ role: STATION_ROLE }, [
    [
      'station-sign-in-challenge',
      'POST',
      'station/jobs/{jobId}/sign-in-challenge',
      signInChallenge,
    ],
    ['station-sign-in-check', 'POST', 'station/jobs/{jobId}/sign-in-check', signInCheck],
  ]);
}
