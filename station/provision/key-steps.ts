import { createHash } from 'node:crypto';
import type { CborInput } from '../../core/cbor/cbor-value.ts';
import type { DecodedCreationOptions } from '../../core/graph/decode-creation-options.ts';
import type {
  SignInAssertion,
  SignInChallenge,
} from '../../core/station-api/sign-in-check-schemas.ts';
import { encodeAttestationObject } from '../../core/webauthn/attestation-object.ts';
import { decodeBase64Url, encodeBase64Url } from '../../core/webauthn/base64url.ts';
import {
  entraRegistrationClientData,
  serializeClientData,
} from '../../core/webauthn/client-data.ts';
import { AuthenticatorConfig } from '../ctap/authenticator-config.ts';
import type { AuthenticatorInfo } from '../ctap/authenticator-info.ts';
import type { ClientPin } from '../ctap/client-pin.ts';
import type { KeepaliveState } from '../ctap/ctap-hid-device.ts';
import type { MakeCredentialResponse } from '../ctap/make-credential.ts';
import { PinUvAuthTokenPermission as Perm } from '../ctap/pin-uv-auth-token-permission.ts';
import type { KeyProfile } from './key-profile.ts';
import type { OpenKey } from './key-slot.ts';
import type { MadeCredential } from './verify-attestation.ts';

/** WebAuthn's credentialProtectionPolicy names, as CTAP credProtect levels. */
const CRED_PROTECT: Record<string, number> = {
  userVerificationOptional: 1,
  userVerificationOptionalWithCredentialIDList: 2,
  userVerificationRequired: 3,
};

/** The authenticator extensions Graph's options ask for, limited to what the key supports. */
function extensionsFor(
  options: DecodedCreationOptions,
  profile: KeyProfile,
): Record<string, CborInput> {
  const supported = new Set(profile.info.extensions);
  const wanted: Record<string, CborInput> = {};
  const policy = options.extensions.credentialProtectionPolicy;
  const level = typeof policy === 'string' ? CRED_PROTECT[policy] : undefined;
  if (supported.has('credProtect')) wanted.credProtect = level ?? 1;
  if (supported.has('hmac-secret') && options.extensions.hmacCreateSecret !== false) {
    wanted['hmac-secret'] = true;
  }
  return wanted;
}

/**
 * makeCredential from Graph's options, as Entra expects from a security key: rp.id and the
 * challenge verbatim, a resident credential, user verification with a PIN token for the RP.
 */
export async function makeCredential(
  key: Pick<OpenKey, 'ctap'>,
  profile: KeyProfile,
  clientPin: ClientPin,
  pin: Uint8Array,
  options: DecodedCreationOptions,
  call: { signal?: AbortSignal; onKeepalive?: (state: KeepaliveState) => void },
): Promise<MadeCredential & { response: MakeCredentialResponse }> {
  const clientDataJSON = entraRegistrationClientData(options.rp.id, options.challenge);
  const clientDataHash = createHash('sha256').update(clientDataJSON).digest();
  const token = await clientPin.getToken(profile.info, pin, Perm.MAKE_CREDENTIAL, options.rp.id);
  try {
    const made = await key.ctap.makeCredential(
      {
        clientDataHash,
        rp: { id: options.rp.id, ...(options.rp.name ? { name: options.rp.name } : {}) },
        user: {
          id: options.user.id,
          ...(options.user.name ? { name: options.user.name } : {}),
          ...(options.user.displayName ? { displayName: options.user.displayName } : {}),
        },
        pubKeyCredParams: options.pubKeyCredParams,
        excludeList: options.excludeCredentials.map((c) => ({ type: c.type, id: c.id })),
        extensions: extensionsFor(options, profile),
        options: { rk: true },
        pinUvAuthParam: token.authenticate(clientDataHash),
        pinUvAuthProtocol: token.protocol.version,
      },
      {
        timeoutMs: 45_000,
        ...(call.signal ? { signal: call.signal } : {}),
        ...(call.onKeepalive ? { onKeepalive: call.onKeepalive } : {}),
      },
    );
    return {
      credentialId: made.authenticatorData.attestedCredentialData!.credentialId,
      clientDataJSON,
      attestationObject: encodeAttestationObject(made),
      response: made,
    };
  } finally {
    token.wipe();
  }
}

/** getAssertion for the service's sign-in challenge, with the PIN (user verification). */
export async function answerSignInChallenge(
  key: Pick<OpenKey, 'ctap'>,
  profile: KeyProfile,
  clientPin: ClientPin,
  pin: Uint8Array,
  challenge: SignInChallenge,
  call: { signal?: AbortSignal; onKeepalive?: (state: KeepaliveState) => void },
): Promise<Omit<SignInAssertion, 'leaseId' | 'attempt'>> {
  const clientDataJSON = serializeClientData({
    type: 'webauthn.get',
    challenge: challenge.challenge,
    origin: challenge.origin,
    crossOrigin: false,
  });
  const clientDataHash = createHash('sha256').update(clientDataJSON).digest();
  const token = await clientPin.getToken(profile.info, pin, Perm.GET_ASSERTION, challenge.rpId);
  try {
    const assertion = await key.ctap.getAssertion(
      {
        rpId: challenge.rpId,
        clientDataHash,
        allowList: challenge.allowCredentials.map((c) => ({
          type: c.type,
          id: decodeBase64Url(c.id),
        })),
        pinUvAuthParam: token.authenticate(clientDataHash),
        pinUvAuthProtocol: token.protocol.version,
      },
      {
        timeoutMs: 45_000,
        ...(call.signal ? { signal: call.signal } : {}),
        ...(call.onKeepalive ? { onKeepalive: call.onKeepalive } : {}),
      },
    );
    const credentialId =
      assertion.credential?.id ?? decodeBase64Url(challenge.allowCredentials[0]!.id);
    return {
      credentialId: encodeBase64Url(credentialId),
      clientDataJSON: encodeBase64Url(new TextEncoder().encode(clientDataJSON)),
      authenticatorData: encodeBase64Url(assertion.authData),
      signature: encodeBase64Url(assertion.signature),
      ...(assertion.user ? { userHandle: encodeBase64Url(assertion.user.id) } : {}),
    };
  } finally {
    token.wipe();
  }
}

/** setMinPINLength to `minPinLength` (never lowered: keys refuse that). */
export async function setPinPolicy(
  key: Pick<OpenKey, 'ctap'>,
  profile: KeyProfile,
  clientPin: ClientPin,
  pin: Uint8Array,
  minPinLength: number,
  signal?: AbortSignal,
): Promise<void> {
  if (minPinLength <= profile.minPinLength) return;
  const token = await clientPin.getToken(profile.info, pin, Perm.AUTHENTICATOR_CONFIG);
  try {
    await new AuthenticatorConfig(key.ctap, token).setMinPinLength(
      { minPinLength },
      signal ? { signal } : {},
    );
  } finally {
    token.wipe();
  }
}

/**
 * forcePINChange, set last and read back with getInfo: returns what the key now says, so the
 * caller confirms only what the key confirmed.
 */
export async function demandPinChange(
  key: Pick<OpenKey, 'ctap'>,
  profile: KeyProfile,
  clientPin: ClientPin,
  pin: Uint8Array,
  signal?: AbortSignal,
): Promise<AuthenticatorInfo> {
  const token = await clientPin.getToken(profile.info, pin, Perm.AUTHENTICATOR_CONFIG);
  try {
    await new AuthenticatorConfig(key.ctap, token).setMinPinLength(
      { forceChangePin: true },
      signal ? { signal } : {},
    );
  } finally {
    token.wipe();
  }
  return key.ctap.getInfo(signal ? { signal } : {});
}
