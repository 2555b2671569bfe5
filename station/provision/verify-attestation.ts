import { verifyRegistrationResponse } from '@simplewebauthn/server';
import {
  convertCertBufferToPEM,
  decodeAttestationObject,
  validateCertificatePath,
} from '@simplewebauthn/server/helpers';
import { encodeBase64Url } from '../../core/webauthn/base64url.ts';
import { ProvisionError } from './provision-error.ts';

export interface MadeCredential {
  credentialId: Uint8Array;
  clientDataJSON: string;
  attestationObject: Uint8Array;
}

/**
 * Checks the key's attestation here, before anything is sent: rpIdHash, the UP and UV flags, the
 * challenge and origin, the AAGUID the key reported in getInfo, the packed signature, and the
 * certificate chain up to one of `roots` (PEM). SimpleWebAuthn does the WebAuthn verification; a
 * key that fails is not submitted. Without roots nothing can be trusted, so that fails too.
 */
export async function verifyAttestation(
  made: MadeCredential,
  expected: { challenge: string; rpId: string; aaguid: string; roots: string[] },
): Promise<void> {
  const refuse = (why: string, cause?: unknown): never => {
    throw new ProvisionError(
      'ATTESTATION_INVALID',
      `This key's attestation does not check out (${why}); nothing was registered. Reset the key and set it aside for IT.`,
      { needsReset: true, ...(cause === undefined ? {} : { cause }) },
    );
  };
  if (expected.roots.length === 0)
    refuse('the station trusts no attestation roots; see station config');
  const id = encodeBase64Url(made.credentialId);
  let verified;
  try {
    verified = await verifyRegistrationResponse({
      response: {
        id,
        rawId: id,
        type: 'public-key',
        clientExtensionResults: {},
        response: {
          clientDataJSON: encodeBase64Url(new TextEncoder().encode(made.clientDataJSON)),
          attestationObject: encodeBase64Url(made.attestationObject),
        },
      },
      expectedChallenge: expected.challenge,
      expectedOrigin: `https://${expected.rpId}`,
      expectedRPID: expected.rpId,
      requireUserVerification: true,
    });
  } catch (cause) {
    return refuse(cause instanceof Error ? cause.message : String(cause), cause);
  }
  if (!verified.verified || !verified.registrationInfo)
    return refuse('the signature did not verify');
  const info = verified.registrationInfo;
  if (info.fmt !== 'packed') refuse(`its format is "${info.fmt}", not a packed attestation`);
  // The chain up to the station's roots, checked here rather than through SimpleWebAuthn's
  // process-wide SettingsService: roots set there would also apply to every other verification
  // in the process (the service's, the local tenant's), which must decide trust for themselves.
  const x5c = decodeAttestationObject(info.attestationObject).get('attStmt').get('x5c') ?? [];
  if (x5c.length > 0) {
    try {
      await validateCertificatePath(x5c.map(convertCertBufferToPEM), expected.roots);
    } catch (cause) {
      refuse(`${cause instanceof Error ? cause.message : String(cause)} (Packed|Full)`, cause);
    }
  }
  if (info.aaguid.toLowerCase() !== expected.aaguid.toLowerCase()) {
    refuse(`it names AAGUID ${info.aaguid}, but the key said ${expected.aaguid}`);
  }
}
