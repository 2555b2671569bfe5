import {
  createECDH,
  createPrivateKey,
  hkdfSync,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';

// Order of the P-256 group (FIPS 186-4, D.1.2.3).
const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

export interface EcKeyMaterial {
  /** Private scalar, 32 bytes big-endian. */
  d: Uint8Array;
  x: Uint8Array;
  y: Uint8Array;
}

/** P-256 key material from a 32-byte private scalar. */
export function ecKeyFromScalar(d: Uint8Array): EcKeyMaterial {
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(d);
  const point = ecdh.getPublicKey();
  return {
    d: new Uint8Array(d),
    x: new Uint8Array(point.subarray(1, 33)),
    y: new Uint8Array(point.subarray(33, 65)),
  };
}

/**
 * A P-256 key derived from a seed and a label (HKDF, then reduced into [1, n-1]), so the software
 * key's attestation CA is the same on every machine and its root can be configured as trusted.
 */
export function deriveEcKey(seed: string | Uint8Array, label: string): EcKeyMaterial {
  const okm = new Uint8Array(hkdfSync('sha256', seed, 'passkey-courier', label, 48));
  const wide = BigInt(`0x${Buffer.from(okm).toString('hex')}`);
  const scalar = (wide % (P256_ORDER - 1n)) + 1n;
  return ecKeyFromScalar(new Uint8Array(Buffer.from(scalar.toString(16).padStart(64, '0'), 'hex')));
}

export function ecJwk(key: EcKeyMaterial, withPrivate: boolean): JsonWebKey {
  const jwk: JsonWebKey = {
    kty: 'EC',
    crv: 'P-256',
    x: Buffer.from(key.x).toString('base64url'),
    y: Buffer.from(key.y).toString('base64url'),
  };
  if (withPrivate) jwk.d = Buffer.from(key.d).toString('base64url');
  return jwk;
}

export function ecPrivateKeyObject(key: EcKeyMaterial): KeyObject {
  return createPrivateKey({ key: ecJwk(key, true), format: 'jwk' });
}
