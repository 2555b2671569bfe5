import { verifyRegistrationResponse } from '@simplewebauthn/server';
import { decodeClientDataJSON } from '@simplewebauthn/server/helpers';
import type { IssuedCreationOptions } from '../store/issued-options.ts';
import { ApiError } from './api-error.ts';

/** What a station submits about the credential it made (the declared values among them). */
export interface SubmittedCredential {
  credentialId: string;
  /** base64url */
  clientDataJSON: string;
  /** base64url */
  attestationObject: string;
  aaguid: string;
}

/** What the attestation itself says, once verified. */
export interface AttestedCredential {
  credentialId: string;
  aaguid: string;
  fmt: string;
}

/**
 * Verifies a submitted registration with SimpleWebAuthn against the options the service issued
 * for the job (`issuedFor` finds them by the challenge in clientDataJSON): the challenge and
 * origin, the rpIdHash, user presence and verification, and the attestation signature. The
 * AAGUID and credential id are then read from the verified authenticator data — never taken
 * from what the station declares — and a submission whose declared values disagree is refused.
 * Whether the challenge is still live is Graph's to say when the credential is registered.
 */
export async function verifySubmittedAttestation(
  jobId: string,
  submitted: SubmittedCredential,
  issuedFor: (challenge: string) => Promise<IssuedCreationOptions | undefined>,
): Promise<AttestedCredential> {
  const refuse = (code: string, message: string, cause?: unknown): never => {
    throw new ApiError(422, code, message, cause === undefined ? {} : { cause });
  };
  let challenge: string;
  try {
    challenge = decodeClientDataJSON(submitted.clientDataJSON).challenge;
  } catch (cause) {
    return refuse('ATTESTATION_INVALID', 'The clientDataJSON does not decode.', cause);
  }
  const issued = typeof challenge === 'string' ? await issuedFor(challenge) : undefined;
  if (!issued) {
    return refuse(
      'OPTIONS_NOT_ISSUED',
      `This registration answers a challenge the service did not issue for job ${jobId}; fetch creation options, reset the key and program it again.`,
    );
  }
  let verified: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
  try {
    verified = await verifyRegistrationResponse({
      response: {
        id: submitted.credentialId,
        rawId: submitted.credentialId,
        type: 'public-key',
        clientExtensionResults: {},
        response: {
          clientDataJSON: submitted.clientDataJSON,
          attestationObject: submitted.attestationObject,
        },
      },
      expectedChallenge: issued.challenge,
      expectedOrigin: `https://${issued.rpId}`,
      expectedRPID: issued.rpId,
      requireUserVerification: true,
    });
  } catch (cause) {
    return refuse(
      'ATTESTATION_INVALID',
      `The key's attestation does not verify against the options issued for job ${jobId}: ${cause instanceof Error ? cause.message : String(cause)}. Reset the key and set it aside for IT.`,
      cause,
    );
  }
  const info = verified.registrationInfo;
  if (!verified.verified || !info) {
    return refuse('ATTESTATION_INVALID', 'The attestation signature does not verify.');
  }
  const attested = {
    credentialId: info.credential.id,
    aaguid: info.aaguid.toLowerCase(),
    fmt: info.fmt,
  };
  const mismatches = [
    attested.credentialId !== submitted.credentialId
      ? `credential id ${submitted.credentialId} (the attestation says ${attested.credentialId})`
      : undefined,
    attested.aaguid !== submitted.aaguid.toLowerCase()
      ? `AAGUID ${submitted.aaguid} (the attestation says ${attested.aaguid})`
      : undefined,
  ].filter((m): m is string => m !== undefined);
  if (mismatches.length > 0) {
    return refuse(
      'DECLARED_MISMATCH',
      `The submission declares ${mismatches.join(' and ')}; the station must send what the key attested.`,
    );
  }
  return attested;
}
