import { createCipheriv, createDecipheriv, createHmac } from 'node:crypto';
import { concatBytes, constantTimeEqual } from '../../core/bytes.ts';
import type { CoseKey } from '../../core/webauthn/cose-key.ts';
import {
  EcdhKeyPair,
  PinUvAuthProtocolError,
  defaultRandomBytes,
  type PinUvAuthProtocol,
  type PinUvAuthProtocolOptions,
} from './pin-uv-auth-protocol.ts';

const SALT = new Uint8Array(32);
const HMAC_KEY_INFO = Buffer.concat([Buffer.from('CTAP2 HMAC key'), Buffer.of(1)]);
const AES_KEY_INFO = Buffer.concat([Buffer.from('CTAP2 AES key'), Buffer.of(1)]);

/**
 * PIN/UV auth protocol 2 (CTAP 2.1 §6.5.7): a 64-byte shared secret, HKDF-SHA-256 of Z into an
 * HMAC key ("CTAP2 HMAC key") and an AES key ("CTAP2 AES key"); AES-256-CBC with a random IV
 * prepended; full 32-byte HMAC-SHA-256.
 */
export class PinUvAuthProtocolTwo implements PinUvAuthProtocol {
  readonly version = 2 as const;
  private readonly randomBytes: (length: number) => Uint8Array;
  private readonly ephemeralKey: () => EcdhKeyPair;

  constructor(options: PinUvAuthProtocolOptions = {}) {
    this.randomBytes = options.randomBytes ?? defaultRandomBytes;
    this.ephemeralKey = options.ephemeralKey ?? (() => EcdhKeyPair.generate());
  }

  encapsulate(peerKey: CoseKey): ReturnType<PinUvAuthProtocol['encapsulate']> {
    const own = this.ephemeralKey();
    return { keyAgreement: own.publicKey, sharedSecret: this.kdf(own.sharedPoint(peerKey)) };
  }

  decapsulate(ownKey: EcdhKeyPair, peerKey: CoseKey): Uint8Array {
    return this.kdf(ownKey.sharedPoint(peerKey));
  }

  kdf(z: Uint8Array): Uint8Array {
    // HKDF-SHA-256 (RFC 5869) twice over the same IKM and salt, with L = 32 = one hash block: a
    // shared extract and one expand block each. Equal to hkdfSync(…, 32) for both infos (the tests
    // check both against the published vectors) at a third of the cost; it runs on every PIN
    // operation, on both sides of the link.
    const prk = createHmac('sha256', SALT).update(z).digest();
    const hmacKey = createHmac('sha256', prk).update(HMAC_KEY_INFO).digest();
    const aesKey = createHmac('sha256', prk).update(AES_KEY_INFO).digest();
    return concatBytes([hmacKey, aesKey]);
  }

  encrypt(key: Uint8Array, plaintext: Uint8Array): Uint8Array {
    if (plaintext.length % 16 !== 0) {
      throw new PinUvAuthProtocolError(
        'INVALID_CIPHERTEXT',
        'Protocol 2 encrypts whole AES blocks only.',
      );
    }
    const iv = this.randomBytes(16);
    const cipher = createCipheriv('aes-256-cbc', aesKey(key), iv).setAutoPadding(false);
    return concatBytes([iv, cipher.update(plaintext), cipher.final()]);
  }

  decrypt(key: Uint8Array, ciphertext: Uint8Array): Uint8Array {
    if (ciphertext.length < 32 || ciphertext.length % 16 !== 0) {
      throw new PinUvAuthProtocolError(
        'INVALID_CIPHERTEXT',
        `Protocol 2 ciphertext must be an IV plus at least one AES block, got ${ciphertext.length} bytes.`,
      );
    }
    const decipher = createDecipheriv(
      'aes-256-cbc',
      aesKey(key),
      ciphertext.subarray(0, 16),
    ).setAutoPadding(false);
    return new Uint8Array(
      Buffer.concat([decipher.update(ciphertext.subarray(16)), decipher.final()]),
    );
  }

  authenticate(key: Uint8Array, message: Uint8Array): Uint8Array {
    // A 64-byte shared secret authenticates with its first half (the HMAC key); a 32-byte
    // pinUvAuthToken is used whole.
    return new Uint8Array(createHmac('sha256', key.subarray(0, 32)).update(message).digest());
  }

  verify(key: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
    return constantTimeEqual(this.authenticate(key, message), signature);
  }
}

/** The AES half of the 64-byte shared secret (only shared secrets ever encrypt). */
function aesKey(key: Uint8Array): Uint8Array {
  if (key.length !== 64) {
    throw new PinUvAuthProtocolError(
      'INVALID_CIPHERTEXT',
      `Protocol 2 encrypts under a 64-byte shared secret, got ${key.length} bytes.`,
    );
  }
  return key.subarray(32);
}
