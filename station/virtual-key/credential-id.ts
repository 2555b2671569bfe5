import { createCipheriv, createDecipheriv, createHmac, hkdfSync } from 'node:crypto';
import { concatBytes } from '../../core/bytes.ts';
import { CoseAlgorithm } from '../../core/webauthn/cose-key.ts';

/** What a credential id carries, sealed so only the key that made it can open it. */
export interface SealedCredential {
  algorithm: number;
  privateKey: Uint8Array;
  credProtect: number;
  hmacSecret: boolean;
}

const VERSION = 0x01;
const NONCE_LENGTH = 12;
const TAG_LENGTH = 16;
/** version(1) ‖ nonce(12) ‖ AES-256-GCM(alg(1) ‖ credProtect(1) ‖ flags(1) ‖ key(32)) ‖ tag(16) */
export const CREDENTIAL_ID_LENGTH = 1 + NONCE_LENGTH + 35 + TAG_LENGTH;

const ALGORITHM_CODES = new Map<number, number>([
  [CoseAlgorithm.ES256, 1],
  [CoseAlgorithm.EdDSA, 2],
]);
const ALGORITHMS = new Map([...ALGORITHM_CODES].map(([alg, code]) => [code, alg]));

function wrapKey(deviceSecret: Uint8Array): Uint8Array {
  return new Uint8Array(
    hkdfSync('sha256', deviceSecret, new Uint8Array(0), 'credential id wrapping', 32),
  );
}

/**
 * Seals a credential into its id with AES-256-GCM, the rpIdHash as associated data: every
 * credential (discoverable or not) can be recognised from its id alone, an id presented for
 * another relying party does not open, and after a reset (new device secret) nothing opens.
 */
export function sealCredentialId(
  deviceSecret: Uint8Array,
  rpIdHash: Uint8Array,
  credential: SealedCredential,
  random: (n: number) => Uint8Array,
): Uint8Array {
  const nonce = random(NONCE_LENGTH);
  const cipher = createCipheriv('aes-256-gcm', wrapKey(deviceSecret), nonce);
  cipher.setAAD(rpIdHash);
  const plaintext = concatBytes([
    Uint8Array.of(
      ALGORITHM_CODES.get(credential.algorithm) ?? 0,
      credential.credProtect,
      credential.hmacSecret ? 1 : 0,
    ),
    credential.privateKey,
  ]);
  const sealed = concatBytes([
    Uint8Array.of(VERSION),
    nonce,
    cipher.update(plaintext),
    cipher.final(),
    cipher.getAuthTag(),
  ]);
  plaintext.fill(0);
  return sealed;
}

/** Opens an id made by this key for this relying party; anything else gives undefined. */
export function openCredentialId(
  deviceSecret: Uint8Array,
  rpIdHash: Uint8Array,
  id: Uint8Array,
): SealedCredential | undefined {
  if (id.length !== CREDENTIAL_ID_LENGTH || id[0] !== VERSION) return undefined;
  try {
    const decipher = createDecipheriv(
      'aes-256-gcm',
      wrapKey(deviceSecret),
      id.subarray(1, 1 + NONCE_LENGTH),
    );
    decipher.setAAD(rpIdHash);
    decipher.setAuthTag(id.subarray(id.length - TAG_LENGTH));
    const plain = Buffer.concat([
      decipher.update(id.subarray(1 + NONCE_LENGTH, id.length - TAG_LENGTH)),
      decipher.final(),
    ]);
    const algorithm = ALGORITHMS.get(plain[0]!);
    if (algorithm === undefined) return undefined;
    return {
      algorithm,
      credProtect: plain[1]!,
      hmacSecret: plain[2] === 1,
      privateKey: new Uint8Array(plain.subarray(3)),
    };
  } catch {
    return undefined;
  }
}

/** hmac-secret's CredRandomWithUV / WithoutUV, derived per credential instead of stored. */
export function credRandom(
  deviceSecret: Uint8Array,
  credentialId: Uint8Array,
  withUv: boolean,
): Uint8Array {
  return new Uint8Array(
    createHmac('sha256', deviceSecret)
      .update(withUv ? 'CredRandomWithUV' : 'CredRandomWithoutUV')
      .update(credentialId)
      .digest(),
  );
}
