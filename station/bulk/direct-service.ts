import {
  constants,
  generateKeyPairSync,
  privateDecrypt,
  randomBytes,
  randomUUID,
  type KeyObject,
} from 'node:crypto';
import { GraphError, type GraphErrorCode } from '../../core/graph/graph-error.ts';
import type { GraphGateway } from '../../core/graph/graph-gateway.ts';
import { openPin } from '../../core/pin-envelope/pin-envelope.ts';
import type {
  SignInAssertion,
  SignInChallenge,
  SignInCheckResult,
} from '../../core/station-api/sign-in-check-schemas.ts';
import type {
  RegistrationOutcome,
  RegistrationSubmission,
  StationJob,
} from '../../core/station-api/station-api-schemas.ts';
import { decodeBase64Url, encodeBase64Url } from '../../core/webauthn/base64url.ts';
import { registeredCredential, verifySignIn } from '../../core/webauthn/verify-sign-in.ts';
import type { ProvisionService } from '../provision/provision-key.ts';
import { ProvisionError } from '../provision/provision-error.ts';
import type { CreationOptions } from '../service/station-api-client.ts';

/** Graph refusals worth programming the key again for, with fresh options. */
const RETRYABLE = new Set<GraphErrorCode>(['CHALLENGE_EXPIRED']);
/** Graph's answers that are a refusal of this key for this user, not a failure to reach Graph. */
const REFUSALS = new Set<GraphErrorCode>([
  'SELF_SERVICE_DISABLED',
  'USER_NOT_TARGETED',
  'AAGUID_NOT_ALLOWED',
  'PASSKEY_TYPE_NOT_ALLOWED',
  'ATTESTATION_NOT_TRUSTED',
  'CHALLENGE_EXPIRED',
  'ALREADY_REGISTERED',
  'POLICY_DISABLED',
  'BAD_REQUEST',
  'CONFLICT',
]);
const SIGN_IN_CHALLENGE_MS = 5 * 60_000;

interface DirectJob {
  job: StationJob;
  userId: string;
  methodId?: string;
  attestationObject?: string;
  rpId?: string;
  challenge?: string;
  /** The PIN, opened from the pipeline's envelope, until the caller takes it for the letter. */
  pin?: string;
}

/**
 * The pipeline's service, played by the station itself for `station bulk --direct`: options and
 * registration straight from Graph through the gateway; the sign-in check verified here with
 * SimpleWebAuthn against the public key of the attestation Graph accepted. The pipeline seals the
 * PIN as always, to a key pair that exists only in this process's memory; the PIN is opened only
 * to go into the encrypted PIN letters (`takePin`), never anywhere else.
 */
export class DirectProvisionService implements ProvisionService {
  private readonly jobs = new Map<string, DirectJob>();
  private readonly kid = `direct-${randomUUID()}`;
  private readonly envelopeKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });

  private readonly gateway: GraphGateway;

  constructor(gateway: GraphGateway) {
    this.gateway = gateway;
  }

  /** Starts a job for a directory user (object id); the pipeline then runs against it. */
  begin(job: StationJob, userId: string): void {
    this.jobs.set(job.jobId, { job, userId });
  }

  async creationOptions(jobId: string): Promise<CreationOptions> {
    const job = this.job(jobId);
    const fetched = await this.gateway.getCreationOptions(job.userId);
    return {
      options: fetched.raw as Record<string, unknown>,
      expiresAt: fetched.value.challengeTimeoutDateTime,
      ...(fetched.requestId ? { graphRequestId: fetched.requestId } : {}),
    };
  }

  pinEnvelopeKey(): Promise<{ kid: string; publicKey: KeyObject }> {
    return Promise.resolve({ kid: this.kid, publicKey: this.envelopeKeys.publicKey });
  }

  async submitResult(
    jobId: string,
    submission: RegistrationSubmission,
  ): Promise<RegistrationOutcome> {
    const job = this.job(jobId);
    const opened = await openPin(submission.pinEnvelope, jobId, (_kid, ciphertext) =>
      Promise.resolve(
        privateDecrypt(
          {
            key: this.envelopeKeys.privateKey,
            padding: constants.RSA_PKCS1_OAEP_PADDING,
            oaepHash: 'sha256',
          },
          ciphertext,
        ),
      ),
    );
    const clientData = JSON.parse(
      Buffer.from(decodeBase64Url(submission.clientDataJSON)).toString('utf8'),
    ) as { origin?: string };
    try {
      const result = await this.gateway.registerFido2Method(
        job.userId,
        {
          displayName: submission.displayName,
          credentialId: decodeBase64Url(submission.credentialId),
          clientDataJSON: decodeBase64Url(submission.clientDataJSON),
          attestationObject: decodeBase64Url(submission.attestationObject),
          ...(submission.clientExtensionResults
            ? { clientExtensionResults: submission.clientExtensionResults }
            : {}),
        },
        { aaguid: submission.aaguid },
      );
      job.pin = opened.pin;
      job.methodId = result.value.id;
      job.attestationObject = submission.attestationObject;
      job.rpId = new URL(clientData.origin ?? 'https://login.microsoft.com').hostname;
      return {
        outcome: 'registered',
        methodId: result.value.id,
        ...(result.requestId ? { graphRequestId: result.requestId } : {}),
      };
    } catch (error) {
      if (!(error instanceof GraphError) || !REFUSALS.has(error.code)) throw error;
      return {
        outcome: 'refused',
        reason: error.code,
        message: error.message,
        retry: RETRYABLE.has(error.code),
      };
    }
  }

  signInChallenge(jobId: string): Promise<SignInChallenge> {
    const job = this.job(jobId);
    if (!job.attestationObject || !job.rpId) {
      throw new ProvisionError('SERVICE_ERROR', 'The key is not registered yet.');
    }
    const credential = registeredCredential(job.attestationObject, job.rpId);
    job.challenge = encodeBase64Url(randomBytes(32));
    return Promise.resolve({
      challenge: job.challenge,
      rpId: job.rpId,
      origin: `https://${job.rpId}`,
      allowCredentials: [{ type: 'public-key', id: credential.credentialId }],
      userVerification: 'required',
      expiresAt: new Date(Date.now() + SIGN_IN_CHALLENGE_MS).toISOString(),
    });
  }

  async signInCheck(jobId: string, assertion: SignInAssertion): Promise<SignInCheckResult> {
    const job = this.job(jobId);
    const challenge = job.challenge;
    job.challenge = undefined; // single use
    if (!challenge || !job.attestationObject || !job.rpId) {
      throw new ProvisionError('SIGN_IN_FAILED', 'No sign-in challenge was issued for this key.');
    }
    const verdict = await verifySignIn(
      registeredCredential(job.attestationObject, job.rpId),
      challenge,
      assertion,
    );
    if (!verdict.verified) {
      throw new ProvisionError(
        'SIGN_IN_FAILED',
        `The key did not pass the sign-in check (${verdict.reason}); set it aside for IT.`,
        { needsReset: true },
      );
    }
    return { verified: true, signCount: verdict.signCount, checkedAt: new Date().toISOString() };
  }

  /** Nothing to record in direct mode (the results CSV is the record): the job as it is. */
  confirmPinChange(jobId: string): Promise<StationJob> {
    return Promise.resolve(this.job(jobId).job);
  }

  /** The Graph method registered for a job, if any: removed again when a later step fails. */
  registeredMethod(jobId: string): { userId: string; methodId: string } | undefined {
    const job = this.jobs.get(jobId);
    return job?.methodId ? { userId: job.userId, methodId: job.methodId } : undefined;
  }

  /** The PIN of a registered job, once: the caller puts it in the sealed letters only. */
  takePin(jobId: string): string | undefined {
    const job = this.jobs.get(jobId);
    const pin = job?.pin;
    this.jobs.delete(jobId);
    return pin;
  }

  /** Forgets a job (and its PIN) that failed. */
  forget(jobId: string): void {
    this.jobs.delete(jobId);
  }

  private job(jobId: string): DirectJob {
    const job = this.jobs.get(jobId);
    if (!job) throw new ProvisionError('SERVICE_ERROR', `Unknown direct job ${jobId}.`);
    return job;
  }
}
