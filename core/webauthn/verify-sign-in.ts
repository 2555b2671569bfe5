import { createHash } from 'node:crypto';
import { verifyAuthenticationResponse } from '@simplewebauthn/server';
// SimpleWebAuthn's own CBOR, not core/cbor: the deployed app must not carry cbor-x (the station's
// canonical CBOR, with a native extension); the package's import-graph check enforces it.
import { decodeAttestationObject, parseAuthenticatorData } from '@simplewebauthn/server/helpers';
import { bytesEqual } from '../bytes.ts';
import { decodeBase64Url, encodeBase64Url } from './base64url.ts';
import type { SignInAssertion } from '../station-api/sign-in-check-schemas.ts';

export type SignInVerdict =
  { verified: true; signCount: number } | { verified: false; reason: string };

/** The credential a sign-in check is verified against, read from the registered attestation. */
export interface RegisteredCredential {
  credentialId: string;
  publicKey: Uint8Array;
  signCount: number;
  rpId: string;
}

/**
 * Reads the credential public key and counter from the attestation the station submitted and
 * Graph accepted: the check must prove the key holds THAT credential, not one it names itself.
 */
export function registeredCredential(
  attestationObject: string,
  rpId: string,
): RegisteredCredential {
  const authData = parseAuthenticatorData(
    decodeAttestationObject(
      new Uint8Array(decodeBase64Url(attestationObject, 'attestationObject')),
    ).get('authData'),
  );
  if (!authData.credentialID || !authData.credentialPublicKey) {
    throw new Error('The registered attestation carries no credential.');
  }
  if (!bytesEqual(authData.rpIdHash, createHash('sha256').update(rpId).digest())) {
    throw new Error(`The registered attestation is not scoped to ${rpId}.`);
  }
  return {
    credentialId: encodeBase64Url(authData.credentialID),
    publicKey: authData.credentialPublicKey,
    signCount: authData.counter,
    rpId,
  };
}

/**
 * Verifies the station's assertion with SimpleWebAuthn, as a relying party would at sign-in:
 * webauthn.get client data with our challenge and the RP's origin, rpIdHash, user presence and
 * user verification (the PIN), the signature with the registered public key, a rising counter.
 */
export async function verifySignIn(
  credential: RegisteredCredential,
  challenge: string,
  assertion: SignInAssertion,
): Promise<SignInVerdict> {
  if (assertion.credentialId !== credential.credentialId) {
    return {
      verified: false,
      reason: 'The key answered with another credential than the one registered.',
    };
  }
  try {
    const result = await verifyAuthenticationResponse({
      response: {
        id: assertion.credentialId,
        rawId: assertion.credentialId,
        type: 'public-key',
        clientExtensionResults: {},
        response: {
          clientDataJSON: assertion.clientDataJSON,
          authenticatorData: assertion.authenticatorData,
          signature: assertion.signature,
          ...(assertion.userHandle ? { userHandle: assertion.userHandle } : {}),
        },
      },
      expectedChallenge: challenge,
      expectedOrigin: `https://${credential.rpId}`,
      expectedRPID: credential.rpId,
      expectedType: 'webauthn.get',
      credential: {
        id: credential.credentialId,
        publicKey: new Uint8Array(credential.publicKey),
        counter: credential.signCount,
      },
      requireUserVerification: true,
    });
    if (!result.verified) return { verified: false, reason: 'The signature did not verify.' };
    return { verified: true, signCount: result.authenticationInfo.newCounter };
  } catch (error) {
    return { verified: false, reason: error instanceof Error ? error.message : String(error) };
  }
}
