import type { DecodedCreationOptions } from '../../core/graph/decode-creation-options.ts';
import { decodeBase64Url, encodeBase64Url } from '../../core/webauthn/base64url.ts';
import type { AuthenticatorInfo } from '../ctap/authenticator-info.ts';
import { ClientPin } from '../ctap/client-pin.ts';
import type { MakeCredentialResponse } from '../ctap/make-credential.ts';
import { profileFromInfo } from './key-profile.ts';
import type { OpenKey } from './key-slot.ts';
import {
  answerSignInChallenge,
  demandPinChange,
  makeCredential,
  setPinPolicy,
} from './key-steps.ts';

export const SEQUENCE_RP = { id: 'login.microsoft.com', name: 'Microsoft' };

export interface CtapSequenceResult {
  infoBefore: AuthenticatorInfo;
  credential: MakeCredentialResponse;
  assertion: { authenticatorData: Uint8Array; signature: Uint8Array; clientDataJSON: Uint8Array };
  infoAfter: AuthenticatorInfo;
}

/**
 * The pipeline's key steps without the service between them: getInfo → setPIN →
 * setMinPINLength → makeCredential (PIN, rk, credProtect, hmac-secret) → getAssertion with the
 * PIN → forcePINChange → getInfo, the same CTAP calls python-fido2 makes in
 * test/interop/python_fido2_client.py's per_key_sequence. For the ctap bench and key-level tests;
 * a real job runs provisionKey, which puts the service's steps in between.
 */
export async function runCtapSequence(
  key: Pick<OpenKey, 'ctap'>,
  pin: string,
  challenge = 'c2VxdWVuY2UtY2hhbGxlbmdlLTAwMDAwMDAwMDAwMDAwMDAwMA',
): Promise<CtapSequenceResult> {
  const infoBefore = await key.ctap.getInfo();
  const profile = profileFromInfo(infoBefore, {
    serial: undefined,
    firmware: undefined,
    model: 'key',
  });
  const pinBytes = new TextEncoder().encode(pin);
  try {
    const clientPin = ClientPin.forInfo(key.ctap, infoBefore);
    await clientPin.setPin(pinBytes);
    await setPinPolicy(key, profile, clientPin, pinBytes, [...pin].length);
    const options: DecodedCreationOptions = {
      rp: SEQUENCE_RP,
      user: {
        id: new TextEncoder().encode('bench-user-0001'),
        name: 'bench@example.com',
        displayName: 'Bench',
      },
      challenge,
      pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
      excludeCredentials: [],
      requireResidentKey: true,
      userVerification: 'required',
      extensions: {
        hmacCreateSecret: true,
        credentialProtectionPolicy: 'userVerificationOptional',
      },
      expiresAt: new Date(Date.now() + 300_000).toISOString(),
      timeoutMs: undefined,
    };
    const made = await makeCredential(key, profile, clientPin, pinBytes, options, {});
    const answer = await answerSignInChallenge(
      key,
      profile,
      clientPin,
      pinBytes,
      {
        challenge,
        rpId: SEQUENCE_RP.id,
        origin: `https://${SEQUENCE_RP.id}`,
        allowCredentials: [{ type: 'public-key', id: encodeBase64Url(made.credentialId) }],
        userVerification: 'required',
        expiresAt: options.expiresAt,
      },
      {},
    );
    const infoAfter = await demandPinChange(key, profile, clientPin, pinBytes);
    return {
      infoBefore,
      credential: made.response,
      assertion: {
        authenticatorData: decodeBase64Url(answer.authenticatorData),
        signature: decodeBase64Url(answer.signature),
        clientDataJSON: decodeBase64Url(answer.clientDataJSON),
      },
      infoAfter,
    };
  } finally {
    pinBytes.fill(0);
  }
}
