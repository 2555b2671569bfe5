import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { CborMapReader } from '../cbor/cbor-map-reader.ts';
import type { CborInput, CborValue } from '../cbor/cbor-value.ts';
import { WebAuthnEncodingError } from './webauthn-encoding-error.ts';

/** COSE algorithm identifiers used by FIDO2 (IANA COSE Algorithms registry). */
export const CoseAlgorithm = {
  ES256: -7,
  EdDSA: -8,
  /** CTAP's key-agreement key label; "although this is NOT the algorithm actually used". */
  ECDH_ES_HKDF_256: -25,
  RS256: -257,
} as const;

/** EC2 public key on P-256 (COSE kty 2, crv 1). */
export interface CoseEc2Key {
  kty: 2;
  alg: number;
  crv: 1;
  x: Uint8Array;
  y: Uint8Array;
}

/** OKP public key on Ed25519 (COSE kty 1, crv 6). */
export interface CoseOkpKey {
  kty: 1;
  alg: number;
  crv: 6;
  x: Uint8Array;
}

export type CoseKey = CoseEc2Key | CoseOkpKey;

// COSE_Key labels (RFC 9052 §7, RFC 9053 §7.1).
const KTY = 1;
const ALG = 3;
const CRV = -1;
const X = -2;
const Y = -3;

export function parseCoseKey(value: CborValue | undefined, context = 'COSE key'): CoseKey {
  let reader: CborMapReader;
  try {
    reader = new CborMapReader(value, context);
    const kty = reader.int(KTY, 'kty');
    const alg = reader.int(ALG, 'alg');
    const crv = reader.int(CRV, 'crv');
    if (kty === 2 && crv === 1) {
      return { kty, alg, crv, x: reader.bytes(X, 'x', 32), y: reader.bytes(Y, 'y', 32) };
    }
    if (kty === 1 && crv === 6) {
      return { kty, alg, crv, x: reader.bytes(X, 'x', 32) };
    }
    throw new WebAuthnEncodingError(
      'INVALID_COSE_KEY',
      `${context}: unsupported key type ${kty} on curve ${crv} (supported: EC2 P-256, OKP Ed25519).`,
    );
  } catch (cause) {
    if (cause instanceof WebAuthnEncodingError) throw cause;
    throw new WebAuthnEncodingError('INVALID_COSE_KEY', (cause as Error).message, { cause });
  }
}

/** The COSE_Key map, ready for canonical encoding. */
export function encodeCoseKey(key: CoseKey): CborInput {
  const map = new Map<number, CborInput>([
    [KTY, key.kty],
    [ALG, key.alg],
    [CRV, key.crv],
    [X, key.x],
  ]);
  if (key.kty === 2) map.set(Y, key.y);
  return map;
}

export function coseKeyFromPublicKey(publicKey: KeyObject, alg: number): CoseKey {
  const jwk = publicKey.export({ format: 'jwk' });
  if (jwk.kty === 'EC' && jwk.crv === 'P-256' && jwk.x && jwk.y) {
    return { kty: 2, alg, crv: 1, x: fromB64u(jwk.x), y: fromB64u(jwk.y) };
  }
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519' && jwk.x) {
    return { kty: 1, alg, crv: 6, x: fromB64u(jwk.x) };
  }
  throw new WebAuthnEncodingError(
    'INVALID_COSE_KEY',
    `No COSE form for a ${jwk.kty ?? '?'} ${jwk.crv ?? ''} key.`,
  );
}

/** Imports the key; node checks that an EC point is on the curve. */
export function coseKeyToPublicKey(key: CoseKey): KeyObject {
  try {
    if (key.kty === 2) {
      return createPublicKey({
        key: { kty: 'EC', crv: 'P-256', x: toB64u(key.x), y: toB64u(key.y) },
        format: 'jwk',
      });
    }
    return createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: toB64u(key.x) },
      format: 'jwk',
    });
  } catch (cause) {
    throw new WebAuthnEncodingError(
      'INVALID_COSE_KEY',
      'COSE key is not a valid public key (point not on curve?).',
      {
        cause,
      },
    );
  }
}

/** Verifies a WebAuthn signature: ES256 signatures are DER-encoded ECDSA, EdDSA ones are raw. */
export function verifyCoseSignature(
  key: CoseKey,
  data: Uint8Array,
  signature: Uint8Array,
): boolean {
  const publicKey = coseKeyToPublicKey(key);
  if (key.kty === 2) {
    if (key.alg !== CoseAlgorithm.ES256) {
      throw new WebAuthnEncodingError(
        'INVALID_COSE_KEY',
        `EC2 key with algorithm ${key.alg}; only ES256 (-7) is supported.`,
      );
    }
    return verify('sha256', data, { key: publicKey, dsaEncoding: 'der' }, signature);
  }
  return verify(null, data, publicKey, signature);
}

function toB64u(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

function fromB64u(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'base64url'));
}
