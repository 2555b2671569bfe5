import { createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto';
import { CoseAlgorithm, coseKeyFromPublicKey, type CoseKey } from '../../core/webauthn/cose-key.ts';
import { ecJwk, ecKeyFromScalar } from './deterministic-ec-key.ts';

// P-256 group order: a valid private scalar is in [1, n-1].
const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** The algorithms the software key offers, in its order of preference. */
export const SUPPORTED_ALGORITHMS = [CoseAlgorithm.ES256, CoseAlgorithm.EdDSA] as const;

/** 32 bytes of private key material for `algorithm`, drawn from `random` (rejection-sampled for P-256). */
export function generatePrivateKey(
  algorithm: number,
  random: (n: number) => Uint8Array,
): Uint8Array {
  if (algorithm === CoseAlgorithm.EdDSA) return random(32);
  for (;;) {
    const candidate = random(32);
    const value = BigInt(`0x${Buffer.from(candidate).toString('hex')}`);
    if (value > 0n && value < P256_ORDER) return candidate;
  }
}

export function privateKeyObject(algorithm: number, privateKey: Uint8Array): KeyObject {
  if (algorithm === CoseAlgorithm.EdDSA) {
    return createPrivateKey({
      key: Buffer.concat([ED25519_PKCS8_PREFIX, privateKey]),
      format: 'der',
      type: 'pkcs8',
    });
  }
  return createPrivateKey({ key: ecJwk(ecKeyFromScalar(privateKey), true), format: 'jwk' });
}

export function credentialPublicKey(algorithm: number, privateKey: Uint8Array): CoseKey {
  return coseKeyFromPublicKey(createPublicKey(privateKeyObject(algorithm, privateKey)), algorithm);
}

/** A WebAuthn signature: DER ECDSA for ES256, raw for EdDSA. */
export function signWithCredential(
  algorithm: number,
  privateKey: Uint8Array,
  data: Uint8Array,
): Uint8Array {
  const key = privateKeyObject(algorithm, privateKey);
  return new Uint8Array(
    algorithm === CoseAlgorithm.EdDSA
      ? sign(null, data, key)
      : sign('sha256', data, { key, dsaEncoding: 'der' }),
  );
}
