import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calculateJwkThumbprint } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPin, sealPin } from '../../../core/pin-envelope/pin-envelope.ts';
import { LocalPinKey } from '../../../functions/pin/local-pin-key.ts';
import { PinKeyError } from '../../../functions/pin/pin-key-error.ts';

let folder: string;
let key: LocalPinKey;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'pin-key-'));
  key = await LocalPinKey.open({ stateDirectory: join(folder, 'state') });
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

function publicKeyOf(jwk: { n: string; e: string }) {
  return createPublicKey({ key: { kty: 'RSA', n: jwk.n, e: jwk.e }, format: 'jwk' });
}

async function rejection(promise: Promise<unknown>): Promise<PinKeyError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PinKeyError);
  return error as PinKeyError;
}

describe('LocalPinKey', () => {
  it('creates an RSA-3072 key file readable by its owner only, on first use', async () => {
    const file = join(folder, 'state', 'pin-key.pem');
    expect(key.path).toBe(file);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(join(folder, 'state'))).mode & 0o777).toBe(0o700);
    const pem = await readFile(file, 'utf8');
    expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const jwk = await key.publicKeyJwk();
    expect(publicKeyOf(jwk).asymmetricKeyDetails?.modulusLength).toBe(3072);
    // Opening again reuses the same key.
    const again = await LocalPinKey.open({ path: file });
    expect(again.kid).toBe(key.kid);
    expect(await readFile(file, 'utf8')).toBe(pem);
  });

  it('is named by the RFC 7638 thumbprint of its public key', async () => {
    const jwk = await key.publicKeyJwk();
    expect(jwk).toMatchObject({
      kty: 'RSA',
      e: 'AQAB',
      alg: 'RSA-OAEP-256',
      use: 'enc',
      kid: key.kid,
    });
    // RFC 7638 §3: SHA-256 over {"e","kty","n"} in that order, no spaces.
    const canonical = JSON.stringify({ e: jwk.e, kty: 'RSA', n: jwk.n });
    expect(key.kid).toBe(createHash('sha256').update(canonical).digest('base64url'));
    expect(key.kid).toBe(await calculateJwkThumbprint({ kty: 'RSA', n: jwk.n, e: jwk.e }));
  });

  it('opens envelopes sealed to its public JWK, and only those', async () => {
    const jwk = await key.publicKeyJwk();
    // What a station does with the JWK the station API hands out.
    const envelope = sealPin(
      { pin: '83920571', jobId: 'job-1', serial: 31_415_926 },
      { kid: jwk.kid, publicKey: publicKeyOf(jwk) },
    );
    expect(await openPin(envelope, 'job-1', (kid, c) => key.decrypt(kid, c))).toEqual({
      pin: '83920571',
      jobId: 'job-1',
      serial: 31_415_926,
    });
    const wrongKid = await rejection(key.decrypt('someone-elses-key', new Uint8Array(384)));
    expect(wrongKid.code).toBe('WRONG_KEY');
    const garbage = await rejection(key.decrypt(key.kid, new Uint8Array(384).fill(7)));
    expect(garbage.code).toBe('DECRYPT_FAILED');
  });

  it('refuses a key file others can read, and one that is not an RSA key', async () => {
    const loose = join(folder, 'loose.pem');
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await writeFile(loose, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o644 });
    await chmod(loose, 0o644);
    const insecure = await rejection(LocalPinKey.open({ path: loose }));
    expect(insecure.code).toBe('KEY_FILE_INSECURE');
    expect(insecure.message).toContain('chmod 600');

    const ec = join(folder, 'ec.pem');
    const ecKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    await writeFile(ec, ecKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    expect((await rejection(LocalPinKey.open({ path: ec }))).code).toBe('KEY_FILE_INVALID');
    const junk = join(folder, 'junk.pem');
    await writeFile(junk, 'not a key', { mode: 0o600 });
    expect((await rejection(LocalPinKey.open({ path: junk }))).code).toBe('KEY_FILE_INVALID');
  });

  it('makes one key when several processes start at once', async () => {
    const path = join(folder, 'race', 'pin-key.pem');
    const keys = await Promise.all([1, 2, 3].map(() => LocalPinKey.open({ path })));
    expect(new Set(keys.map((k) => k.kid)).size).toBe(1);
  });
});
