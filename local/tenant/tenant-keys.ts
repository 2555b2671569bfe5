import {
  createHash,
  createPrivateKey,
  createPublicKey,
  webcrypto,
  type KeyObject,
} from 'node:crypto';
// @peculiar/x509 resolves its algorithms through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

const crypto = webcrypto as unknown as Crypto;
const RSA_SIGNING = {
  name: 'RSASSA-PKCS1-v1_5',
  modulusLength: 2048,
  publicExponent: new Uint8Array([1, 0, 1]),
  hash: 'SHA-256',
} as const;
const RSA_OAEP = { ...RSA_SIGNING, name: 'RSA-OAEP' } as const;

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** Like Entra's: the certificate's SHA-1 thumbprint in base64url, also sent as x5t. */
  kid: string;
  certificateDer: Uint8Array;
}

export interface EncryptionKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  kid: string;
}

/** The tenant's secrets: the token signing key (published in JWKS) and the challenge key (never). */
export interface TenantKeys {
  signing: SigningKey;
  challenge: EncryptionKey;
}

/** The keys as PEM, for a tenant told to keep its state on disk. */
export interface StoredTenantKeys {
  signingKeyPem: string;
  signingCertificatePem: string;
  challengeKeyPem: string;
}

/**
 * Creates fresh keys: RSA 2048 for RS256 tokens, with a self-signed certificate because Entra's
 * JWKS entries carry x5c and x5t and some validators read them; and RSA 2048 for the RSA-OAEP-256
 * challenge JWEs, which only the tenant ever decrypts.
 */
export async function createTenantKeys(tenantId: string, now: Date): Promise<TenantKeys> {
  const [signingPair, challengePair] = await Promise.all([
    crypto.subtle.generateKey(RSA_SIGNING, true, ['sign', 'verify']),
    crypto.subtle.generateKey(RSA_OAEP, true, ['encrypt', 'decrypt']),
  ]);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: createHash('sha256')
        .update(`${tenantId}${now.getTime()}`)
        .digest('hex')
        .slice(0, 30),
      name: `CN=Local Entra token signing ${tenantId}`,
      notBefore: new Date(now.getTime() - 24 * 3600 * 1000),
      notAfter: new Date(now.getTime() + 5 * 365 * 24 * 3600 * 1000),
      signingAlgorithm: RSA_SIGNING,
      keys: signingPair,
    },
    crypto,
  );
  return importTenantKeys({
    signingKeyPem: x509.PemConverter.encode(
      await crypto.subtle.exportKey('pkcs8', signingPair.privateKey),
      'PRIVATE KEY',
    ),
    signingCertificatePem: certificate.toString('pem'),
    challengeKeyPem: x509.PemConverter.encode(
      await crypto.subtle.exportKey('pkcs8', challengePair.privateKey),
      'PRIVATE KEY',
    ),
  });
}

export function importTenantKeys(stored: StoredTenantKeys): TenantKeys {
  const certificateDer = new Uint8Array(
    x509.PemConverter.decodeFirst(stored.signingCertificatePem),
  );
  const signingPrivate = createPrivateKey(stored.signingKeyPem);
  const challengePrivate = createPrivateKey(stored.challengeKeyPem);
  const challengePublic = createPublicKey(challengePrivate);
  return {
    signing: {
      privateKey: signingPrivate,
      publicKey: createPublicKey(signingPrivate),
      kid: createHash('sha1').update(certificateDer).digest('base64url'),
      certificateDer,
    },
    challenge: {
      privateKey: challengePrivate,
      publicKey: challengePublic,
      kid: createHash('sha256')
        .update(challengePublic.export({ format: 'der', type: 'spki' }))
        .digest('base64url')
        .slice(0, 16),
    },
  };
}

export function exportTenantKeys(keys: TenantKeys): StoredTenantKeys {
  return {
    signingKeyPem: keys.signing.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    signingCertificatePem: x509.PemConverter.encode(
      new Uint8Array(keys.signing.certificateDer),
      'CERTIFICATE',
    ),
    challengeKeyPem: keys.challenge.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  };
}

/** The signing key as a JWKS entry, shaped like Entra's (kty, use, kid, x5t, n, e, x5c, issuer). */
export function signingJwk(key: SigningKey, issuer: string): Record<string, unknown> {
  const jwk = key.publicKey.export({ format: 'jwk' });
  return {
    kty: 'RSA',
    use: 'sig',
    kid: key.kid,
    x5t: key.kid,
    n: jwk.n,
    e: jwk.e,
    x5c: [Buffer.from(key.certificateDer).toString('base64')],
    issuer,
  };
}
