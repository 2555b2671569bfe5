import {
  constants,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  privateDecrypt,
  randomUUID,
} from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { link, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { calculateJwkThumbprint } from 'jose';
import { PinKeyError } from './pin-key-error.ts';
import type { PinKey, PinPublicJwk } from './pin-key.ts';

const generateRsa = promisify(generateKeyPair);

export interface LocalPinKeyOptions {
  /** The key file; default `pin-key.pem` in the state folder. */
  path?: string;
  /** The local state folder; default `.courier` in the working directory. */
  stateDirectory?: string;
}

/** RSA-3072: beyond 2030 by NIST's reckoning, and still far under RSA-OAEP-256's size limits. */
const MODULUS_BITS = 3072;

/**
 * The PIN envelope key in local mode: an RSA-3072 private key in a PKCS#8 PEM file, created on
 * first use readable by its owner only (0600, in a 0700 folder), and refused when others can read
 * it. Its kid is the RFC 7638 JWK thumbprint (SHA-256) of the public key, so an envelope names the
 * exact key it was sealed to and a replaced key file is noticed instead of failing obscurely.
 */
export class LocalPinKey implements PinKey {
  readonly kid: string;
  readonly path: string;
  private readonly privateKey: KeyObject;
  private readonly jwk: PinPublicJwk;

  private constructor(path: string, privateKey: KeyObject, jwk: PinPublicJwk) {
    this.path = path;
    this.privateKey = privateKey;
    this.jwk = jwk;
    this.kid = jwk.kid;
  }

  /** Opens the key file, creating it on first use. */
  static async open(options: LocalPinKeyOptions = {}): Promise<LocalPinKey> {
    const path = options.path ?? join(options.stateDirectory ?? '.courier', 'pin-key.pem');
    const pem = (await readKeyFile(path)) ?? (await createKeyFile(path));
    let privateKey: KeyObject;
    try {
      privateKey = createPrivateKey(pem);
    } catch (cause) {
      throw new PinKeyError(
        'KEY_FILE_INVALID',
        `${path} is not a PEM private key; move it away to have a new key made.`,
        { cause },
      );
    }
    const bits = privateKey.asymmetricKeyDetails?.modulusLength ?? 0;
    if (privateKey.asymmetricKeyType !== 'rsa' || bits < 2048) {
      throw new PinKeyError(
        'KEY_FILE_INVALID',
        `${path} holds a ${privateKey.asymmetricKeyType ?? 'unknown'} key of ${bits} bits; PIN envelopes need RSA of at least 2048 bits.`,
      );
    }
    const exported = createPublicKey(privateKey).export({ format: 'jwk' });
    const publicJwk = { kty: 'RSA' as const, n: String(exported.n), e: String(exported.e) };
    const kid = await calculateJwkThumbprint(publicJwk, 'sha256');
    return new LocalPinKey(path, privateKey, {
      ...publicJwk,
      kid,
      alg: 'RSA-OAEP-256',
      use: 'enc',
    });
  }

  publicKeyJwk(): Promise<PinPublicJwk> {
    return Promise.resolve({ ...this.jwk });
  }

  decrypt(kid: string, ciphertext: Uint8Array): Promise<Uint8Array> {
    if (kid !== this.kid) {
      return Promise.reject(
        new PinKeyError(
          'WRONG_KEY',
          `The envelope was sealed to key ${kid}, not to this service's key ${this.kid} (was ${this.path} replaced?).`,
        ),
      );
    }
    try {
      const plaintext = privateDecrypt(
        { key: this.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
        ciphertext,
      );
      return Promise.resolve(
        new Uint8Array(plaintext.buffer, plaintext.byteOffset, plaintext.length),
      );
    } catch (cause) {
      return Promise.reject(
        new PinKeyError('DECRYPT_FAILED', `The envelope sealed to key ${kid} does not decrypt.`, {
          cause,
        }),
      );
    }
  }
}

async function readKeyFile(path: string): Promise<string | undefined> {
  let mode: number;
  try {
    mode = (await stat(path)).mode;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new PinKeyError('KEY_FILE_INVALID', `${path} cannot be read.`, { cause: error });
  }
  // Windows has no owner-only mode bits; there the folder's ACL protects the file.
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new PinKeyError(
      'KEY_FILE_INSECURE',
      `${path} can be read by other users (mode ${(mode & 0o777).toString(8)}); run \`chmod 600 ${path}\`.`,
    );
  }
  return readFile(path, 'utf8');
}

async function createKeyFile(path: string): Promise<string> {
  const { privateKey } = await generateRsa('rsa', { modulusLength: MODULUS_BITS });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  // Written aside, then linked into place: link never overwrites, and the file appears whole. Two
  // processes starting at once: one key wins, the other process reads it.
  const temporary = `${path}.${process.pid}.${randomUUID()}.tmp`;
  try {
    await writeFile(temporary, pem, { flag: 'wx', mode: 0o600 });
    await link(temporary, path);
    return pem;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new PinKeyError('KEY_FILE_INVALID', `${path} cannot be created.`, { cause: error });
    }
    const existing = await readKeyFile(path);
    if (existing === undefined) throw new PinKeyError('KEY_FILE_INVALID', `${path} vanished.`);
    return existing;
  } finally {
    await rm(temporary, { force: true });
  }
}
