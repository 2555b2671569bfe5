import { GraphError, type GraphErrorCode } from '../../../core/graph/graph-error.ts';
import { decodeBase64Url } from '../../../core/webauthn/base64url.ts';
import type { CourierServices } from '../../courier-services.ts';
import { JobQueueError } from '../../store/job-queue-error.ts';
import type { RegisterInput, RegisterResult } from '../request-activities.ts';

/** Failures worth retrying (the activity throws, and Durable retries it with back-off). */
const TRANSIENT: ReadonlySet<GraphErrorCode> = new Set([
  'THROTTLED',
  'SERVICE_UNAVAILABLE',
  'NETWORK',
  'UNAUTHENTICATED',
  'INVALID_RESPONSE',
]);

/** Refusals a new attempt can fix: fresh options, or another key. */
const RETRYABLE: ReadonlySet<string> = new Set(['CHALLENGE_EXPIRED', 'ALREADY_REGISTERED']);

/**
 * Registers the station's credential with Graph for the requester: the tenant's policy is
 * checked first (a bare 400 from Graph says little), then the credential is POSTed. Idempotent:
 * an attempt already decided returns its outcome, and a credential already in the user's methods
 * (an earlier run that crashed after Graph answered) is taken as registered, not POSTed twice.
 * The outcome is stored for the station's result call, which is waiting for it.
 */
export async function registerCredential(
  input: RegisterInput,
  services: Pick<CourierServices, 'graph' | 'jobs' | 'attempts'>,
): Promise<RegisterResult> {
  const { submission, jobId, userId } = input;
  const decided = (await services.attempts.get(jobId, submission.attempt))?.outcome;
  if (decided) return decided;

  const result = await decide(input, services);
  const { graphRequestId: _id, reconciled: _r, ...outcome } = result;
  await services.attempts.decide(jobId, submission.attempt, outcome);
  return result;

  async function decide(
    { submission: s, allowedAaguids }: RegisterInput,
    { graph, jobs }: Pick<CourierServices, 'graph' | 'jobs'>,
  ): Promise<RegisterResult> {
    const aaguid = s.aaguid.toLowerCase();
    if (!allowedAaguids.includes(aaguid)) {
      return refused(
        'WRONG_KEY_CLASS',
        `The key's AAGUID ${aaguid} is not in this request's key class; program a key of the right model.`,
        true,
      );
    }
    const registration = {
      displayName: s.displayName,
      credentialId: decodeBase64Url(s.credentialId, 'credentialId'),
      clientDataJSON: decodeBase64Url(s.clientDataJSON, 'clientDataJSON'),
      attestationObject: decodeBase64Url(s.attestationObject, 'attestationObject'),
      ...(s.clientExtensionResults ? { clientExtensionResults: s.clientExtensionResults } : {}),
    };
    let registered: { methodId: string; graphRequestId?: string; reconciled: boolean };
    try {
      // Found by this attempt's display name and AAGUID, not by guessing the method id.
      const existing = await graph.findRegisteredMethod(userId, registration, { aaguid });
      if (existing) {
        registered = { methodId: existing.id, reconciled: true };
      } else {
        const preflight = await graph.preflight(userId, aaguid);
        const problem = preflight.problems[0];
        if (problem) return refused(problem.code, problem.message, false);
        const result = await graph.registerFido2Method(userId, registration, {
          aaguid,
          ...(s.challengeExpiresAt ? { challengeExpiresAt: s.challengeExpiresAt } : {}),
        });
        registered = {
          methodId: result.value.id,
          ...(result.requestId ? { graphRequestId: result.requestId } : {}),
          reconciled: result.reconciled,
        };
      }
    } catch (error) {
      if (error instanceof GraphError && !TRANSIENT.has(error.code)) {
        return {
          ...refused(error.code, error.message, RETRYABLE.has(error.code)),
          ...(error.requestId ? { graphRequestId: error.requestId } : {}),
        };
      }
      throw error;
    }

    try {
      await jobs.markRegistered(jobId, s.leaseId, {
        methodId: registered.methodId,
        credentialId: s.credentialId,
        aaguid,
        ...(s.serial === undefined ? {} : { serial: s.serial }),
      });
    } catch (error) {
      if (!(error instanceof JobQueueError) || !['LEASE_LOST', 'CONFLICT'].includes(error.code))
        throw error;
      // Another station took the job while Graph was answering: this credential must not stay.
      await graph.deleteFido2Method(userId, registered.methodId);
      return refused(
        'LEASE_LOST',
        `The job moved to another station while the key was being registered; the credential was deleted. ${error.message}`,
        false,
      );
    }
    return {
      outcome: 'registered',
      methodId: registered.methodId,
      ...(registered.graphRequestId ? { graphRequestId: registered.graphRequestId } : {}),
      reconciled: registered.reconciled,
    };
  }
}

function refused(reason: string, message: string, retry: boolean): RegisterResult {
  return { outcome: 'refused', reason, message, retry };
}
