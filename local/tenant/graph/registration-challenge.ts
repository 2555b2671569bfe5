import { randomBytes } from 'node:crypto';
import { CompactEncrypt, compactDecrypt } from 'jose';
import type { EncryptionKey } from '../tenant-keys.ts';

export interface ChallengeClaims {
  userId: string;
  rpId: string;
  /** Seconds since the epoch, like JWT times. */
  issuedAt: number;
  expiresAt: number;
}

const ALG = 'RSA-OAEP-256';
const ENC = 'A256GCM';

/**
 * Graph's creation-options challenge is stateless: a JWE (RSA-OAEP-256 + A256GCM) naming the
 * user, the RP and the expiry, base64url-encoded once more, so it begins with "ZXlKaGJHY2lPaUpT"
 * just like Entra's. Nothing is stored; a POST proves freshness by the challenge alone, which is
 * why options can be fetched days ahead (beta) and why an expired one is refused.
 */
export class ChallengeSealer {
  private readonly key: EncryptionKey;

  constructor(key: EncryptionKey) {
    this.key = key;
  }

  async seal(claims: ChallengeClaims): Promise<string> {
    const payload = JSON.stringify({
      ver: 1,
      sub: claims.userId,
      rp: claims.rpId,
      iat: claims.issuedAt,
      exp: claims.expiresAt,
      jti: randomBytes(16).toString('base64url'),
    });
    const jwe = await new CompactEncrypt(new TextEncoder().encode(payload))
      .setProtectedHeader({ alg: ALG, enc: ENC, kid: this.key.kid })
      .encrypt(this.key.publicKey);
    return Buffer.from(jwe, 'ascii').toString('base64url');
  }

  /** The claims of a challenge this tenant issued, or undefined when it is not one of ours. */
  async open(challenge: string): Promise<ChallengeClaims | undefined> {
    if (!/^[A-Za-z0-9_-]+$/.test(challenge)) return undefined;
    const jwe = Buffer.from(challenge, 'base64url').toString('ascii');
    try {
      const { plaintext, protectedHeader } = await compactDecrypt(jwe, this.key.privateKey, {
        keyManagementAlgorithms: [ALG],
        contentEncryptionAlgorithms: [ENC],
      });
      if (protectedHeader.kid !== this.key.kid) return undefined;
      const payload = JSON.parse(new TextDecoder().decode(plaintext)) as Record<string, unknown>;
      const { sub, rp, iat, exp } = payload;
      if (
        typeof sub !== 'string' ||
        typeof rp !== 'string' ||
        typeof iat !== 'number' ||
        typeof exp !== 'number'
      ) {
        return undefined;
      }
      return { userId: sub, rpId: rp, issuedAt: iat, expiresAt: exp };
    } catch {
      return undefined;
    }
  }
}
