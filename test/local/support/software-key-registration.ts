import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { concatBytes } from '../../../core/bytes.ts';
import { parseAaguid } from '../../../core/webauthn/aaguid.ts';
import { encodeAttestationObject } from '../../../core/webauthn/attestation-object.ts';
import {
  AuthenticatorDataFlag,
  encodeAuthenticatorData,
} from '../../../core/webauthn/authenticator-data.ts';
import { decodeBase64Url, encodeBase64Url } from '../../../core/webauthn/base64url.ts';
import {
  entraRegistrationClientData,
  serializeClientData,
} from '../../../core/webauthn/client-data.ts';
import { coseKeyFromPublicKey } from '../../../core/webauthn/cose-key.ts';
import type { CborKey, CborValue } from '../../../core/cbor/cbor-value.ts';
import type {
  AssertionChallenge,
  AssertionInput,
} from '../../../local/tenant/controls/sign-in-check.ts';
import type { AuthenticatorInfo } from '../../../station/ctap/authenticator-info.ts';
import { ClientPin } from '../../../station/ctap/client-pin.ts';
import type { MakeCredentialResponse } from '../../../station/ctap/make-credential.ts';
import { PinUvAuthTokenPermission as Perm } from '../../../station/ctap/pin-uv-auth-token-permission.ts';
import type { VirtualKeyOptions } from '../../../station/virtual-key/virtual-key.ts';
import { connectedKey, type ConnectedKey } from '../../support/connected-key.ts';
import { makeCredentialOnKey } from '../../../local/contract/software-key-credential.ts';

/** The creation options as Graph returns them (only what a client reads). */
export interface GraphCreationOptions {
  challengeTimeoutDateTime: string;
  publicKey: {
    rp: { id: string; name: string };
    user: { id: string; name: string; displayName: string };
    challenge: string;
    pubKeyCredParams: { type: string; alg: number }[];
    excludeCredentials: { type: string; id: string; transports: string[] }[];
    extensions: Record<string, unknown>;
  };
}

export interface MadeCredential {
  credentialId: Uint8Array;
  clientDataJSON: string;
  attestationObject: Uint8Array;
  made?: MakeCredentialResponse;
}

export interface SoftwareKey {
  session: ConnectedKey;
  info: AuthenticatorInfo;
  /** Set when the key has a PIN: then credentials are made with user verification. */
  pin: { client: ClientPin; value: string } | undefined;
  close(): Promise<void>;
}

/** A software key over the in-memory transport, with a PIN unless `pin` is null. */
export async function softwareKey(
  options: VirtualKeyOptions & { pin?: string | null } = {},
): Promise<SoftwareKey> {
  const { pin = '24681357', ...keyOptions } = options;
  const session = await connectedKey('memory', keyOptions);
  const info = await session.ctap.getInfo();
  let pinState: SoftwareKey['pin'];
  if (pin !== null) {
    const client = ClientPin.forInfo(session.ctap, info);
    await client.setPin(pin);
    pinState = { client, value: pin };
  }
  return { session, info, pin: pinState, close: () => session.close() };
}

/**
 * makeCredential from Graph's creation options, the way the station does it: rp.id and the
 * challenge verbatim from the options, the user handle decoded, excludeCredentials decoded
 * tolerantly, hmac-secret and credProtect 1, a resident key, PIN-based user verification.
 */
export async function makeCredentialFromOptions(
  key: SoftwareKey,
  options: GraphCreationOptions,
  overrides: { algorithms?: number[]; clientDataJSON?: string } = {},
): Promise<MadeCredential> {
  const { made, clientDataJSON } = await makeCredentialOnKey(
    key.session.ctap,
    key.pin,
    options,
    overrides,
  );
  return {
    credentialId: made.authenticatorData.attestedCredentialData!.credentialId,
    clientDataJSON,
    attestationObject: encodeAttestationObject(made),
    made,
  };
}

/** The POST body Entra wants (docs/design.md §1.4): no type, rawId or authenticatorAttachment. */
export function registrationBody(
  credential: MadeCredential,
  displayName?: string,
): Record<string, unknown> {
  return {
    ...(displayName === undefined ? {} : { displayName }),
    publicKeyCredential: {
      id: encodeBase64Url(credential.credentialId),
      response: {
        clientDataJSON: encodeBase64Url(new TextEncoder().encode(credential.clientDataJSON)),
        attestationObject: encodeBase64Url(credential.attestationObject),
      },
    },
  };
}

/** getAssertion for the tenant's sign-in check, with the PIN, on the credential(s) it allows. */
export async function assertWithKey(
  key: SoftwareKey,
  challenge: AssertionChallenge,
): Promise<AssertionInput> {
  const clientDataJSON = serializeClientData({
    type: 'webauthn.get',
    challenge: challenge.challenge,
    origin: `https://${challenge.rpId}`,
    crossOrigin: false,
  });
  const hash = createHash('sha256').update(clientDataJSON).digest();
  const token = key.pin
    ? await key.pin.client.getToken(key.info, key.pin.value, Perm.GET_ASSERTION, challenge.rpId)
    : undefined;
  const assertion = await key.session.ctap.getAssertion({
    rpId: challenge.rpId,
    clientDataHash: hash,
    allowList: challenge.allowCredentials.map((c) => ({
      type: 'public-key',
      id: decodeBase64Url(c.id),
    })),
    ...(token
      ? { pinUvAuthParam: token.authenticate(hash), pinUvAuthProtocol: token.protocol.version }
      : {}),
  });
  return {
    credentialId: encodeBase64Url(assertion.credential!.id),
    clientDataJSON: encodeBase64Url(new TextEncoder().encode(clientDataJSON)),
    authenticatorData: encodeBase64Url(assertion.authData),
    signature: encodeBase64Url(assertion.signature),
  };
}

/**
 * A hand-made registration, for the refusals a well-behaved key never produces: self or none
 * attestation, attestation from a foreign CA, missing flags, another RP. The credential key is a
 * fresh P-256 key; everything else is as given.
 */
export function syntheticCredential(input: {
  options: GraphCreationOptions;
  aaguid: string;
  attestation: 'none' | 'self' | { certificate: Uint8Array; privateKey: KeyObject };
  flags?: number;
  rpId?: string;
  clientDataJSON?: string;
}): MadeCredential {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const credentialId = createHash('sha256')
    .update(publicKey.export({ format: 'der', type: 'spki' }))
    .digest();
  const clientDataJSON =
    input.clientDataJSON ??
    entraRegistrationClientData(input.options.publicKey.rp.id, input.options.publicKey.challenge);
  const clientDataHash = createHash('sha256').update(clientDataJSON).digest();
  const authData = encodeAuthenticatorData({
    rpIdHash: createHash('sha256')
      .update(input.rpId ?? input.options.publicKey.rp.id)
      .digest(),
    flags: input.flags ?? AuthenticatorDataFlag.UP | AuthenticatorDataFlag.UV,
    signCount: 1,
    attestedCredential: {
      aaguid: parseAaguid(input.aaguid),
      credentialId,
      publicKey: coseKeyFromPublicKey(publicKey, -7),
    },
  });
  const signed = concatBytes([authData, clientDataHash]);
  let fmt = 'packed';
  let attStmt: Map<CborKey, CborValue>;
  if (input.attestation === 'none') {
    fmt = 'none';
    attStmt = new Map();
  } else if (input.attestation === 'self') {
    attStmt = new Map<CborKey, CborValue>([
      ['alg', -7],
      ['sig', new Uint8Array(sign('sha256', signed, { key: privateKey, dsaEncoding: 'der' }))],
    ]);
  } else {
    attStmt = new Map<CborKey, CborValue>([
      ['alg', -7],
      [
        'sig',
        new Uint8Array(
          sign('sha256', signed, { key: input.attestation.privateKey, dsaEncoding: 'der' }),
        ),
      ],
      ['x5c', [input.attestation.certificate]],
    ]);
  }
  return {
    credentialId,
    clientDataJSON,
    attestationObject: encodeAttestationObject({ fmt, attStmt, authData }),
  };
}
