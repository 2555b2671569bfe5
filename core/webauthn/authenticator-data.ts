import { concatBytes } from '../bytes.ts';
import { decodeCanonical, encodeCanonical } from '../cbor/canonical-cbor.ts';
import { canonicalItemEnd } from '../cbor/check-canonical.ts';
import type { CborKey, CborValue, CborInput } from '../cbor/cbor-value.ts';
import { encodeCoseKey, parseCoseKey, type CoseKey } from './cose-key.ts';
import { WebAuthnEncodingError } from './webauthn-encoding-error.ts';

/** authenticatorData flag bits (WebAuthn L3 §6.1). */
export const AuthenticatorDataFlag = {
  UP: 0x01,
  UV: 0x04,
  BE: 0x08,
  BS: 0x10,
  AT: 0x40,
  ED: 0x80,
} as const;

export interface AttestedCredentialData {
  aaguid: Uint8Array;
  credentialId: Uint8Array;
  publicKey: CoseKey;
  /** The credential public key exactly as encoded in authenticatorData. */
  publicKeyBytes: Uint8Array;
}

export interface AuthenticatorData {
  rpIdHash: Uint8Array;
  flags: number;
  userPresent: boolean;
  userVerified: boolean;
  backupEligible: boolean;
  backedUp: boolean;
  signCount: number;
  attestedCredentialData?: AttestedCredentialData;
  /** Authenticator extension outputs, e.g. credProtect → 1, hmac-secret → true. */
  extensions?: Map<CborKey, CborValue>;
}

/**
 * Parses authenticatorData: rpIdHash(32) ‖ flags(1) ‖ signCount(4, big-endian)
 * ‖ [aaguid(16) ‖ credIdLen(2) ‖ credId ‖ COSE key] if AT ‖ [extensions map] if ED.
 * Flags must agree with what follows, and nothing may trail.
 */
export function parseAuthenticatorData(bytes: Uint8Array): AuthenticatorData {
  const fail = (message: string, cause?: unknown): never => {
    throw new WebAuthnEncodingError('INVALID_AUTHENTICATOR_DATA', `authenticatorData: ${message}`, {
      cause,
    });
  };
  if (bytes.length < 37) fail(`needs at least 37 bytes, got ${bytes.length}.`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const flags = bytes[32]!;
  const data: AuthenticatorData = {
    rpIdHash: bytes.slice(0, 32),
    flags,
    userPresent: (flags & AuthenticatorDataFlag.UP) !== 0,
    userVerified: (flags & AuthenticatorDataFlag.UV) !== 0,
    backupEligible: (flags & AuthenticatorDataFlag.BE) !== 0,
    backedUp: (flags & AuthenticatorDataFlag.BS) !== 0,
    signCount: view.getUint32(33),
  };
  let offset = 37;
  if (flags & AuthenticatorDataFlag.AT) {
    if (bytes.length < offset + 18)
      fail('the AT flag is set but attested credential data is truncated.');
    const aaguid = bytes.slice(offset, offset + 16);
    const idLength = view.getUint16(offset + 16);
    offset += 18;
    if (bytes.length < offset + idLength) fail(`credential id of ${idLength} bytes is truncated.`);
    const credentialId = bytes.slice(offset, offset + idLength);
    offset += idLength;
    let keyEnd = 0;
    try {
      keyEnd = canonicalItemEnd(bytes, offset);
    } catch (cause) {
      fail(`credential public key is not canonical CBOR: ${(cause as Error).message}`, cause);
    }
    const publicKeyBytes = bytes.slice(offset, keyEnd);
    const publicKey = parseCoseKey(decodeCanonical(publicKeyBytes), 'credential public key');
    data.attestedCredentialData = { aaguid, credentialId, publicKey, publicKeyBytes };
    offset = keyEnd;
  }
  if (flags & AuthenticatorDataFlag.ED) {
    let extensionsEnd = 0;
    try {
      extensionsEnd = canonicalItemEnd(bytes, offset);
    } catch (cause) {
      fail(`extensions are not canonical CBOR: ${(cause as Error).message}`, cause);
    }
    const extensions = decodeCanonical(bytes.subarray(offset, extensionsEnd));
    if (!(extensions instanceof Map)) fail('extensions must be a CBOR map.');
    data.extensions = extensions as Map<CborKey, CborValue>;
    offset = extensionsEnd;
  }
  if (offset !== bytes.length) {
    fail(
      `${bytes.length - offset} unexpected byte(s) at offset ${offset} (flags 0x${flags.toString(16)}).`,
    );
  }
  return data;
}

export interface AuthenticatorDataInput {
  rpIdHash: Uint8Array;
  flags: number;
  signCount: number;
  attestedCredential?: { aaguid: Uint8Array; credentialId: Uint8Array; publicKey: CoseKey };
  extensions?: ReadonlyMap<string, CborInput>;
}

/** Builds authenticatorData; AT and ED flags follow from what is given. */
export function encodeAuthenticatorData(input: AuthenticatorDataInput): Uint8Array {
  let flags = input.flags & ~(AuthenticatorDataFlag.AT | AuthenticatorDataFlag.ED);
  const parts: Uint8Array[] = [input.rpIdHash];
  const header = new Uint8Array(5);
  const view = new DataView(header.buffer);
  const credential = input.attestedCredential;
  const extensions = input.extensions && input.extensions.size > 0 ? input.extensions : undefined;
  if (credential) flags |= AuthenticatorDataFlag.AT;
  if (extensions) flags |= AuthenticatorDataFlag.ED;
  header[0] = flags;
  view.setUint32(1, input.signCount >>> 0);
  parts.push(header);
  if (credential) {
    const length = new Uint8Array(2);
    new DataView(length.buffer).setUint16(0, credential.credentialId.length);
    parts.push(
      credential.aaguid,
      length,
      credential.credentialId,
      encodeCanonical(encodeCoseKey(credential.publicKey)),
    );
  }
  if (extensions) parts.push(encodeCanonical(extensions));
  return concatBytes(parts);
}
