import { createECDH, randomBytes as cryptoRandomBytes, type ECDH } from 'node:crypto';
import { CourierError } from '../../core/courier-error.ts';
import { CoseAlgorithm, type CoseEc2Key, type CoseKey } from '../../core/webauthn/cose-key.ts';

export type PinUvAuthProtocolErrorCode = 'INVALID_PUBLIC_KEY' | 'INVALID_CIPHERTEXT';

export class PinUvAuthProtocolError extends CourierError<PinUvAuthProtocolErrorCode> {}

/**
 * A PIN/UV auth protocol (CTAP 2.1 §6.5.6 and §6.5.7): how platform and authenticator agree on a
 * shared secret, encrypt PINs and tokens under it, and authenticate messages. Both sides of the
 * protocol live here, because the software key uses the same primitives as the station.
 */
export interface PinUvAuthProtocol {
  readonly version: 1 | 2;
  /** Platform side: a fresh ephemeral key pair agreed with the authenticator's key. */
  encapsulate(peerKey: CoseKey): { keyAgreement: CoseEc2Key; sharedSecret: Uint8Array };
  /** Authenticator side: the shared secret from its key-agreement key and the platform's key. */
  decapsulate(ownKey: EcdhKeyPair, peerKey: CoseKey): Uint8Array;
  kdf(z: Uint8Array): Uint8Array;
  encrypt(key: Uint8Array, plaintext: Uint8Array): Uint8Array;
  decrypt(key: Uint8Array, ciphertext: Uint8Array): Uint8Array;
  authenticate(key: Uint8Array, message: Uint8Array): Uint8Array;
  verify(key: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
}

export interface PinUvAuthProtocolOptions {
  randomBytes?: (length: number) => Uint8Array;
  /** Supplies the platform's ephemeral key; tests pin it to reproduce published vectors. */
  ephemeralKey?: () => EcdhKeyPair;
}

/** A P-256 key-agreement key pair and its COSE form (alg −25, as CTAP labels it). */
export class EcdhKeyPair {
  readonly publicKey: CoseEc2Key;
  private readonly ecdh: ECDH;

  private constructor(ecdh: ECDH) {
    this.ecdh = ecdh;
    const point = ecdh.getPublicKey();
    this.publicKey = {
      kty: 2,
      alg: CoseAlgorithm.ECDH_ES_HKDF_256,
      crv: 1,
      x: new Uint8Array(point.subarray(1, 33)),
      y: new Uint8Array(point.subarray(33, 65)),
    };
  }

  static generate(privateKey?: Uint8Array): EcdhKeyPair {
    const ecdh = createECDH('prime256v1');
    if (privateKey) ecdh.setPrivateKey(privateKey);
    else ecdh.generateKeys();
    return new EcdhKeyPair(ecdh);
  }

  /** Z: the x-coordinate of the ECDH product with the peer's public key. */
  sharedPoint(peerKey: CoseKey): Uint8Array {
    if (peerKey.kty !== 2 || peerKey.crv !== 1) {
      throw new PinUvAuthProtocolError(
        'INVALID_PUBLIC_KEY',
        'The key-agreement key must be an EC2 P-256 key.',
      );
    }
    try {
      const point = new Uint8Array(65);
      point[0] = 0x04;
      point.set(peerKey.x, 1);
      point.set(peerKey.y, 33);
      return new Uint8Array(this.ecdh.computeSecret(point));
    } catch (cause) {
      throw new PinUvAuthProtocolError(
        'INVALID_PUBLIC_KEY',
        'The key-agreement public key is not a point on P-256.',
        {
          cause,
        },
      );
    }
  }
}

export function defaultRandomBytes(length: number): Uint8Array {
  return new Uint8Array(cryptoRandomBytes(length));
}
