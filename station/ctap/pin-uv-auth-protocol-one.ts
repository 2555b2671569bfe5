import { createCipheriv, createDecipheriv, createHash, createHmac } from 'node:crypto';
import { constantTimeEqual } from '../../core/bytes.ts';
import type { CoseKey } from '../../core/webauthn/cose-key.ts';
import {
  EcdhKeyPair,
  PinUvAuthProtocolError,
  type PinUvAuthProtocol,
  type PinUvAuthProtocolOptions,
} from './pin-uv-auth-protocol.ts';

const ZERO_IV = new Uint8Array(16);

/**
 * PIN/UV auth protocol 1 (CTAP 2.1 §6.5.6): shared secret SHA-256(Z); AES-256-CBC with a zero IV;
 * HMAC-SHA-256 truncated to 16 bytes.
 */
export class PinUvAuthProtocolOne implements PinUvAuthProtocol {
  readonly version = 1 as const;
  private readonly ephemeralKey: () => EcdhKeyPair;

  constructor(options: PinUvAuthProtocolOptions = {}) {
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
    return new Uint8Array(createHash('sha256').update(z).digest());
  }

  encrypt(key: Uint8Array, plaintext: Uint8Array): Uint8Array {
    if (plaintext.length % 16 !== 0) {
      throw new PinUvAuthProtocolError(
        'INVALID_CIPHERTEXT',
        'Protocol 1 encrypts whole AES blocks only.',
      );
    }
    const cipher = createCipheriv('aes-256-cbc', key, ZERO_IV).setAutoPadding(false);
    return new Uint8Array(Buffer.concat([cipher.update(plaintext), cipher.final()]));
  }

  decrypt(key: Uint8Array, ciphertext: Uint8Array): Uint8Array {
    if (ciphertext.length === 0 || ciphertext.length % 16 !== 0) {
      throw new PinUvAuthProtocolError(
        'INVALID_CIPHERTEXT',
        `Protocol 1 ciphertext must be a non-empty multiple of 16 bytes, got ${ciphertext.length}.`,
      );
    }
    const decipher = createDecipheriv('aes-256-cbc', key, ZERO_IV).setAutoPadding(false);
    return new Uint8Array(Buffer.concat([decipher.update(ciphertext), decipher.final()]));
  }

  authenticate(key: Uint8Array, message: Uint8Array): Uint8Array {
    return new Uint8Array(createHmac('sha256', key).update(message).digest().subarray(0, 16));
  }

  verify(key: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
    return constantTimeEqual(this.authenticate(key, message), signature);
  }
}
