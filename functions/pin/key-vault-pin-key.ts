import type { TokenCredential } from '@azure/identity';
import {
  CryptographyClient,
  KeyClient,
  parseKeyVaultKeyIdentifier,
  type CryptographyClientOptions,
  type DecryptResult,
  type KeyVaultKey,
  type RsaDecryptParameters,
} from '@azure/keyvault-keys';
import { PinKeyError } from './pin-key-error.ts';
import type { PinKey, PinPublicJwk } from './pin-key.ts';

/** What decrypt needs of a CryptographyClient; tests may hand in their own. */
export interface PinDecrypter {
  decrypt(parameters: RsaDecryptParameters): Promise<Pick<DecryptResult, 'result'>>;
}

export interface KeyVaultPinKeyOptions {
  /** e.g. https://courier-kv.vault.azure.net */
  vaultUrl: string;
  keyName: string;
  /** A fixed version; default the key's current version at start-up. */
  keyVersion?: string;
  /** The functions app's managed identity in Azure; it needs keys/get and keys/decrypt. */
  credential: TokenCredential;
  /** Options for both SDK clients (retries, TLS for a stand-in vault in tests, API version). */
  clientOptions?: CryptographyClientOptions;
}

/**
 * The PIN envelope key in Azure: an RSA key in Key Vault whose private half never leaves it.
 * The public key (and the exact version, the kid) is read once at start-up; each envelope is
 * decrypted by Key Vault itself (CryptographyClient.decrypt, RSA-OAEP-256), for the key version
 * the envelope names, so envelopes sealed before a key rotation still open. A kid from an envelope
 * is only ever sent to this vault and this key: a forged envelope cannot make the service call
 * another vault with its identity.
 */
export class KeyVaultPinKey implements PinKey {
  readonly kid: string;
  private readonly key: KeyVaultKey;
  private readonly jwk: PinPublicJwk;
  private readonly vaultOrigin: string;
  private readonly decrypterFor: (keyId: string) => PinDecrypter;
  private readonly decrypters = new Map<string, PinDecrypter>();

  /** Prefer `open`; this constructor takes a key already read, and how to reach Key Vault. */
  constructor(key: KeyVaultKey, decrypterFor: (keyIdOrKey: string | KeyVaultKey) => PinDecrypter) {
    this.key = key;
    this.jwk = publicJwkOf(key);
    this.kid = this.jwk.kid;
    this.vaultOrigin = new URL(key.properties.vaultUrl).origin;
    this.decrypterFor = (keyId) => decrypterFor(keyId === this.kid ? this.key : keyId);
  }

  /** Reads the key from Key Vault and checks it can serve as the PIN envelope key. */
  static async open(options: KeyVaultPinKeyOptions): Promise<KeyVaultPinKey> {
    let vault: URL;
    try {
      vault = new URL(options.vaultUrl);
    } catch (cause) {
      throw new PinKeyError('CONFIGURATION_INVALID', `${options.vaultUrl} is not a URL.`, {
        cause,
      });
    }
    if (vault.protocol !== 'https:' || !/^[A-Za-z0-9-]{1,127}$/.test(options.keyName)) {
      throw new PinKeyError(
        'CONFIGURATION_INVALID',
        'The Key Vault URL must be https:// and the key name 1-127 letters, digits or dashes.',
      );
    }
    const client = new KeyClient(options.vaultUrl, options.credential, options.clientOptions);
    let key: KeyVaultKey;
    try {
      key = await client.getKey(
        options.keyName,
        options.keyVersion ? { version: options.keyVersion } : {},
      );
    } catch (cause) {
      throw unavailable(cause, `read key ${options.keyName} from ${vault.origin}`);
    }
    return new KeyVaultPinKey(
      key,
      (keyIdOrKey) => new CryptographyClient(keyIdOrKey, options.credential, options.clientOptions),
    );
  }

  publicKeyJwk(): Promise<PinPublicJwk> {
    return Promise.resolve({ ...this.jwk });
  }

  async decrypt(kid: string, ciphertext: Uint8Array): Promise<Uint8Array> {
    this.checkOurs(kid);
    let decrypter = this.decrypters.get(kid);
    if (!decrypter) {
      decrypter = this.decrypterFor(kid);
      this.decrypters.set(kid, decrypter);
    }
    try {
      const { result } = await decrypter.decrypt({ algorithm: 'RSA-OAEP-256', ciphertext });
      return result;
    } catch (cause) {
      const status = statusOf(cause);
      if (status === 400 || status === 422) {
        throw new PinKeyError(
          'DECRYPT_FAILED',
          `Key Vault could not decrypt the envelope sealed to ${kid}.`,
          {
            cause,
          },
        );
      }
      throw unavailable(cause, `decrypt with ${kid}`);
    }
  }

  /** Same vault, same key name, a version: otherwise the kid is not ours to follow. */
  private checkOurs(kid: string): void {
    let parsed: { vaultUrl: string; name: string; version?: string | undefined };
    try {
      parsed = parseKeyVaultKeyIdentifier(kid);
    } catch (cause) {
      throw new PinKeyError(
        'WRONG_KEY',
        `The envelope names ${kid}, which is not a Key Vault key id.`,
        {
          cause,
        },
      );
    }
    if (
      new URL(parsed.vaultUrl).origin !== this.vaultOrigin ||
      parsed.name !== this.key.name ||
      !parsed.version
    ) {
      throw new PinKeyError(
        'WRONG_KEY',
        `The envelope was sealed to ${kid}; this service only decrypts with versions of ${this.vaultOrigin}/keys/${this.key.name}.`,
      );
    }
  }
}

function publicJwkOf(key: KeyVaultKey): PinPublicJwk {
  const material = key.key;
  const kid = key.id ?? material?.kid;
  if (!material || !kid || !material.n || !material.e) {
    throw new PinKeyError(
      'KEY_UNSUITABLE',
      `Key Vault key ${key.name} has no public RSA material.`,
    );
  }
  if (material.kty !== 'RSA' && material.kty !== 'RSA-HSM') {
    throw new PinKeyError(
      'KEY_UNSUITABLE',
      `Key Vault key ${key.name} is ${material.kty ?? 'of unknown type'}; PIN envelopes need an RSA key.`,
    );
  }
  // Leading zero bytes do not count towards the modulus size.
  const modulus = Buffer.from(material.n);
  const bits = modulus.length * 8 - Math.clz32(modulus[0] ?? 0) + 24;
  if (bits < 2048) {
    throw new PinKeyError(
      'KEY_UNSUITABLE',
      `Key Vault key ${key.name} has ${bits} bits; PIN envelopes need RSA of at least 2048 bits.`,
    );
  }
  const operations = key.keyOperations ?? material.keyOps;
  if (operations && !operations.includes('decrypt')) {
    throw new PinKeyError(
      'KEY_UNSUITABLE',
      `Key Vault key ${key.name} does not permit decrypt (operations: ${operations.join(', ')}).`,
    );
  }
  if (key.properties.enabled === false) {
    throw new PinKeyError('KEY_UNSUITABLE', `Key Vault key ${kid} is disabled.`);
  }
  // Key Vault still decrypts with an expired version, but new envelopes must not be sealed to it.
  const expiresOn = key.properties.expiresOn;
  if (expiresOn !== undefined && expiresOn.getTime() <= Date.now()) {
    throw new PinKeyError(
      'KEY_UNSUITABLE',
      `Key Vault key ${kid} expired on ${expiresOn.toISOString()}; rotate it to a new version.`,
    );
  }
  return {
    kty: 'RSA',
    n: Buffer.from(material.n).toString('base64url'),
    e: Buffer.from(material.e).toString('base64url'),
    kid,
    alg: 'RSA-OAEP-256',
    use: 'enc',
  };
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

function unavailable(cause: unknown, action: string): PinKeyError {
  const status = statusOf(cause);
  const hint =
    status === 401 || status === 403
      ? ': the functions app identity needs the "Key Vault Crypto User" role (keys/get, keys/decrypt) on the vault'
      : status === undefined
        ? ''
        : ` (HTTP ${status})`;
  return new PinKeyError('KEY_UNAVAILABLE', `Key Vault refused or failed to ${action}${hint}.`, {
    cause,
  });
}
