import { constants, publicEncrypt, randomBytes, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { CourierError } from '../courier-error.ts';
import { decodeBase64Url, encodeBase64Url } from '../webauthn/base64url.ts';

/**
 * A PIN sealed by the station to the service's public key (docs/design.md §2.2). RSA-OAEP-256 of a small
 * JSON payload, so the service's private key never leaves Key Vault: Key Vault decrypts the
 * ciphertext itself (CryptographyClient.decrypt, RSA-OAEP-256). Only this travels and is stored.
 */
export interface PinEnvelope {
  v: 1;
  /** The key (and version) it was sealed to: a Key Vault key id, or a local key's thumbprint. */
  kid: string;
  alg: 'RSA-OAEP-256';
  ciphertext: string;
}

export const pinEnvelopeSchema = z.strictObject({
  v: z.literal(1),
  kid: z.string().min(1).max(512),
  alg: z.literal('RSA-OAEP-256'),
  ciphertext: z.string().regex(/^[A-Za-z0-9_-]+$/, 'ciphertext must be base64url'),
});

/** What is sealed: the PIN, bound to the job and key it belongs to. */
export interface PinEnvelopeContent {
  pin: string;
  jobId: string;
  /** The key's serial number, when it has one. */
  serial?: number;
}

const contentSchema = z.strictObject({
  pin: z.string().min(4).max(63),
  jobId: z.string().min(1).max(200),
  serial: z.number().int().nonnegative().optional(),
  /** Random padding so equal PINs do not give equal plaintext lengths. */
  pad: z.string().optional(),
});

export class PinEnvelopeError extends CourierError<
  'ENVELOPE_INVALID' | 'ENVELOPE_WRONG_JOB' | 'ENVELOPE_WRONG_KEY' | 'ENVELOPE_TOO_LARGE'
> {}

// RSA-2048 with OAEP-SHA-256 carries at most 256 − 2·32 − 2 = 190 bytes.
const MAX_PLAINTEXT = 190;

/** Seals a PIN to the service's public key (station side). The caller wipes its own copies. */
export function sealPin(
  content: PinEnvelopeContent,
  recipient: { kid: string; publicKey: KeyObject },
): PinEnvelope {
  const details = recipient.publicKey.asymmetricKeyDetails;
  if (recipient.publicKey.asymmetricKeyType !== 'rsa' || (details?.modulusLength ?? 0) < 2048) {
    throw new PinEnvelopeError(
      'ENVELOPE_WRONG_KEY',
      'The PIN envelope key must be an RSA key of at least 2048 bits.',
    );
  }
  const base = {
    pin: content.pin,
    jobId: content.jobId,
    ...(content.serial === undefined ? {} : { serial: content.serial }),
  };
  const unpadded = Buffer.byteLength(JSON.stringify({ ...base, pad: '' }));
  const room = MAX_PLAINTEXT - unpadded;
  if (room < 0)
    throw new PinEnvelopeError(
      'ENVELOPE_TOO_LARGE',
      `The PIN envelope content is ${unpadded} bytes; at most ${MAX_PLAINTEXT} fit.`,
    );
  // Pad to a fixed size: the ciphertext is constant-size anyway, and this keeps lengths uniform.
  const plaintext = Buffer.from(
    JSON.stringify({ ...base, pad: encodeBase64Url(randomBytes(room)).slice(0, room) }),
  );
  try {
    const ciphertext = publicEncrypt(
      { key: recipient.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
      plaintext,
    );
    return {
      v: 1,
      kid: recipient.kid,
      alg: 'RSA-OAEP-256',
      ciphertext: encodeBase64Url(ciphertext),
    };
  } finally {
    plaintext.fill(0);
  }
}

/**
 * Opens an envelope (service side) with whatever holds the private key: Key Vault or a local key.
 * Checks it belongs to `jobId`. The returned PIN must be shown once and then dropped.
 */
export async function openPin(
  envelope: PinEnvelope,
  jobId: string,
  decrypt: (kid: string, ciphertext: Uint8Array) => Promise<Uint8Array>,
): Promise<PinEnvelopeContent> {
  const checked = pinEnvelopeSchema.safeParse(envelope);
  if (!checked.success)
    throw new PinEnvelopeError('ENVELOPE_INVALID', 'The PIN envelope is malformed.');
  let plaintext: Uint8Array;
  try {
    plaintext = await decrypt(
      envelope.kid,
      decodeBase64Url(envelope.ciphertext, 'PIN envelope ciphertext'),
    );
  } catch (cause) {
    throw new PinEnvelopeError(
      'ENVELOPE_WRONG_KEY',
      `The PIN envelope (key ${envelope.kid}) could not be decrypted.`,
      { cause },
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(plaintext).toString('utf8'));
  } catch (cause) {
    throw new PinEnvelopeError('ENVELOPE_INVALID', 'The PIN envelope does not hold a PIN record.', {
      cause,
    });
  } finally {
    plaintext.fill(0);
  }
  const content = contentSchema.safeParse(parsed);
  if (!content.success)
    throw new PinEnvelopeError('ENVELOPE_INVALID', 'The PIN envelope does not hold a PIN record.');
  if (content.data.jobId !== jobId) {
    throw new PinEnvelopeError(
      'ENVELOPE_WRONG_JOB',
      `The PIN envelope was sealed for another job, not ${jobId}.`,
    );
  }
  const { pad: _pad, ...result } = content.data;
  return result;
}
