import { constants, generateKeyPairSync, privateDecrypt, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  openPin,
  PinEnvelopeError,
  sealPin,
  type PinEnvelope,
} from '../../../core/pin-envelope/pin-envelope.ts';
import { decodeBase64Url } from '../../../core/webauthn/base64url.ts';
import { rejection } from '../../support/caught.ts';

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const recipient = { kid: 'local-pin-key#1', publicKey };

function decryptWith(key: KeyObject) {
  return (_kid: string, ciphertext: Uint8Array) =>
    Promise.resolve(
      privateDecrypt(
        { key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
        ciphertext,
      ),
    );
}

describe('PIN envelope', () => {
  it('round-trips a PIN bound to its job and serial, with no PIN text in the envelope', async () => {
    const envelope = sealPin({ pin: '48213377', jobId: 'job-1', serial: 31415926 }, recipient);
    expect(envelope).toMatchObject({ v: 1, kid: 'local-pin-key#1', alg: 'RSA-OAEP-256' });
    expect(JSON.stringify(envelope)).not.toContain('48213377');
    // RSA-2048 ciphertext is exactly the modulus size.
    expect(decodeBase64Url(envelope.ciphertext, 'ciphertext')).toHaveLength(256);
    await expect(openPin(envelope, 'job-1', decryptWith(privateKey))).resolves.toEqual({
      pin: '48213377',
      jobId: 'job-1',
      serial: 31415926,
    });
  });

  it('is OAEP with SHA-256 (an independent decrypt with those parameters reads it)', () => {
    const envelope = sealPin({ pin: '123987', jobId: 'j' }, recipient);
    const plaintext = privateDecrypt(
      { key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
      decodeBase64Url(envelope.ciphertext, 'ciphertext'),
    );
    expect(JSON.parse(plaintext.toString())).toMatchObject({ pin: '123987', jobId: 'j' });
    // Padded to the full 190 bytes OAEP-SHA-256 carries, so short and long PINs look alike.
    expect(plaintext).toHaveLength(190);
    expect(() =>
      privateDecrypt(
        { key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' },
        decodeBase64Url(envelope.ciphertext, 'ciphertext'),
      ),
    ).toThrow();
  });

  it('seals the same PIN differently every time', () => {
    const a = sealPin({ pin: '555000', jobId: 'j' }, recipient);
    const b = sealPin({ pin: '555000', jobId: 'j' }, recipient);
    expect(a.ciphertext).not.toBe(b.ciphertext);
  });

  it('refuses an envelope sealed for another job', async () => {
    const envelope = sealPin({ pin: '48213377', jobId: 'job-1' }, recipient);
    const error = await rejection(
      PinEnvelopeError,
      openPin(envelope, 'job-2', decryptWith(privateKey)),
    );
    expect(error.code).toBe('ENVELOPE_WRONG_JOB');
    expect(error.message).toContain('job-2');
    expect(error.message).not.toContain('48213377');
  });

  it('reports a key that cannot decrypt it, naming the kid', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const envelope = sealPin({ pin: '48213377', jobId: 'job-1' }, recipient);
    const error = await rejection(PinEnvelopeError, openPin(envelope, 'job-1', decryptWith(other)));
    expect(error.code).toBe('ENVELOPE_WRONG_KEY');
    expect(error.message).toContain('local-pin-key#1');
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('refuses malformed envelopes before decrypting', async () => {
    let decrypts = 0;
    const counting = () => {
      decrypts += 1;
      return Promise.resolve(new Uint8Array());
    };
    const bad = [
      { v: 2, kid: 'k', alg: 'RSA-OAEP-256', ciphertext: 'AAAA' },
      { v: 1, kid: 'k', alg: 'RSA1_5', ciphertext: 'AAAA' },
      { v: 1, kid: 'k', alg: 'RSA-OAEP-256', ciphertext: 'AA+/' },
      { v: 1, kid: 'k', alg: 'RSA-OAEP-256', ciphertext: 'AAAA', pin: '1234' },
    ];
    for (const envelope of bad) {
      const error = await rejection(
        PinEnvelopeError,
        openPin(envelope as unknown as PinEnvelope, 'j', counting),
      );
      expect(error.code).toBe('ENVELOPE_INVALID');
    }
    expect(decrypts).toBe(0);
  });

  it('refuses decrypted content that is not a PIN record', async () => {
    const envelope = sealPin({ pin: '48213377', jobId: 'job-1' }, recipient);
    for (const plaintext of ['not json', '{"pin":"12","jobId":"job-1"}', '{"jobId":"job-1"}']) {
      const error = await rejection(
        PinEnvelopeError,
        openPin(envelope, 'job-1', () => Promise.resolve(Buffer.from(plaintext))),
      );
      expect(error.code).toBe('ENVELOPE_INVALID');
    }
  });

  it('wipes the decrypted plaintext after reading it', async () => {
    const envelope = sealPin({ pin: '48213377', jobId: 'job-1' }, recipient);
    let plaintext: Uint8Array = new Uint8Array();
    await openPin(envelope, 'job-1', async (kid, ciphertext) => {
      plaintext = await decryptWith(privateKey)(kid, ciphertext);
      return plaintext;
    });
    expect(plaintext.length).toBe(190);
    expect(plaintext.every((byte) => byte === 0)).toBe(true);
  });

  it('refuses keys that are not RSA of at least 2048 bits', () => {
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    for (const key of [small, ec]) {
      expect(() => sealPin({ pin: '123456', jobId: 'j' }, { kid: 'k', publicKey: key })).toThrow(
        expect.objectContaining({ code: 'ENVELOPE_WRONG_KEY' }),
      );
    }
  });

  it('refuses content too large for one OAEP block, before encrypting', () => {
    expect(() => sealPin({ pin: '123456', jobId: 'j'.repeat(200) }, recipient)).toThrow(
      expect.objectContaining({ code: 'ENVELOPE_TOO_LARGE' }),
    );
  });
});
