import { CourierError } from '../../core/courier-error.ts';

export type PinKeyErrorCode =
  /** The local key file is readable by others than its owner. */
  | 'KEY_FILE_INSECURE'
  /** The local key file is not an RSA private key this service can use. */
  | 'KEY_FILE_INVALID'
  /** The key is not usable for PIN envelopes (not RSA, too short, disabled, expired, no decrypt). */
  | 'KEY_UNSUITABLE'
  /** The envelope names a key that is not this service's key. */
  | 'WRONG_KEY'
  /** The ciphertext could not be decrypted with the key it names. */
  | 'DECRYPT_FAILED'
  /** Key Vault could not be reached, or refused this identity. */
  | 'KEY_UNAVAILABLE'
  /** The configuration (vault URL, key name, file path) is not valid. */
  | 'CONFIGURATION_INVALID';

/** A failure of the PIN envelope key. Messages never carry ciphertext or plaintext. */
export class PinKeyError extends CourierError<PinKeyErrorCode> {}
