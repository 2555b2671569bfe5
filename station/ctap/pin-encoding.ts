import { createHash } from 'node:crypto';
import { CourierError } from '../../core/courier-error.ts';

export type PinFormatErrorCode = 'PIN_TOO_LONG' | 'PIN_EMPTY';

/** A PIN that cannot be sent at all (too long for CTAP's 64-byte block, or empty). */
export class PinFormatError extends CourierError<PinFormatErrorCode> {}

/** A PIN as text, or already as UTF-8 bytes (so callers can wipe their copy afterwards). */
export type PinInput = string | Uint8Array;

/**
 * UTF-8 bytes of a PIN in Unicode Normalization Form C, as CTAP 2.1 §6.5.1 asks of platforms, so
 * the same PIN typed on different systems gives the same bytes.
 */
export function pinBytes(pin: PinInput): Uint8Array {
  const bytes =
    typeof pin === 'string' ? new TextEncoder().encode(pin.normalize('NFC')) : new Uint8Array(pin);
  if (bytes.length === 0) throw new PinFormatError('PIN_EMPTY', 'The PIN is empty.');
  if (bytes.length > 63) {
    bytes.fill(0);
    throw new PinFormatError(
      'PIN_TOO_LONG',
      'The PIN is longer than 63 bytes of UTF-8, the most CTAP can carry.',
    );
  }
  return bytes;
}

/** paddedPin: the PIN's bytes followed by zeros to 64 bytes. */
export function padPin(bytes: Uint8Array): Uint8Array {
  const padded = new Uint8Array(64);
  padded.set(bytes);
  return padded;
}

/** LEFT(SHA-256(pin), 16): what getPinToken and changePIN send (encrypted) to prove the PIN. */
export function pinHash(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(bytes).digest().subarray(0, 16));
}

/** Length in Unicode code points, the unit of minPINLength. */
export function pinCodePointLength(bytes: Uint8Array): number {
  return [...new TextDecoder().decode(bytes)].length;
}
