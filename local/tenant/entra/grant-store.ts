import { randomBytes, randomInt } from 'node:crypto';

export interface AuthorizationCodeGrant {
  clientId: string;
  redirectUri: string;
  scope: string;
  userId: string;
  sessionId: string;
  codeChallenge: string | undefined;
  codeChallengeMethod: 'S256' | 'plain' | undefined;
  nonce: string | undefined;
  expiresAt: number;
  redeemed: boolean;
}

export type DeviceCodeStatus = 'pending' | 'approved' | 'declined' | 'redeemed';

export interface DeviceCodeGrant {
  deviceCode: string;
  userCode: string;
  clientId: string;
  scope: string;
  expiresAt: number;
  status: DeviceCodeStatus;
  userId: string | undefined;
  sessionId: string | undefined;
}

export interface RefreshTokenGrant {
  clientId: string;
  userId: string;
  scope: string;
  sessionId: string;
  expiresAt: number;
}

// Entra's user codes are nine characters; letters and digits that cannot be misread.
const USER_CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/**
 * The only server-side state of the Entra half: codes and refresh tokens in flight, and the ids
 * of client assertions already used (a replayed assertion is refused). All of it is in memory
 * and lost on restart, like a session cache; expired entries are dropped as they are met.
 */
export class GrantStore {
  private readonly codes = new Map<string, AuthorizationCodeGrant>();
  private readonly deviceCodes = new Map<string, DeviceCodeGrant>();
  private readonly userCodes = new Map<string, string>();
  private readonly refreshTokens = new Map<string, RefreshTokenGrant>();
  private readonly assertionIds = new Map<string, number>();

  issueCode(grant: Omit<AuthorizationCodeGrant, 'redeemed'>): string {
    const code = `1.${randomBytes(48).toString('base64url')}`;
    this.codes.set(code, { ...grant, redeemed: false });
    return code;
  }

  code(code: string): AuthorizationCodeGrant | undefined {
    return this.codes.get(code);
  }

  issueDeviceCode(
    grant: Omit<DeviceCodeGrant, 'deviceCode' | 'userCode' | 'status' | 'userId' | 'sessionId'>,
  ): DeviceCodeGrant {
    let userCode: string;
    do {
      userCode = Array.from(
        { length: 9 },
        () => USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)],
      ).join('');
    } while (this.userCodes.has(userCode));
    const entry: DeviceCodeGrant = {
      ...grant,
      deviceCode: `DAQABIQEAAAD${randomBytes(96).toString('base64url')}`,
      userCode,
      status: 'pending',
      userId: undefined,
      sessionId: undefined,
    };
    this.deviceCodes.set(entry.deviceCode, entry);
    this.userCodes.set(userCode, entry.deviceCode);
    return entry;
  }

  deviceCode(deviceCode: string): DeviceCodeGrant | undefined {
    return this.deviceCodes.get(deviceCode);
  }

  deviceCodeByUserCode(userCode: string): DeviceCodeGrant | undefined {
    const deviceCode = this.userCodes.get(userCode.trim().toUpperCase().replace(/[\s-]/g, ''));
    return deviceCode === undefined ? undefined : this.deviceCodes.get(deviceCode);
  }

  /** Device codes still waiting for someone to sign in, for the sign-in page and the controls. */
  pendingDeviceCodes(now: number): DeviceCodeGrant[] {
    return [...this.deviceCodes.values()].filter(
      (d) => d.status === 'pending' && d.expiresAt > now,
    );
  }

  issueRefreshToken(grant: RefreshTokenGrant): string {
    const token = `1.${randomBytes(96).toString('base64url')}`;
    this.refreshTokens.set(token, grant);
    return token;
  }

  /** Refresh tokens are rotated: redeeming one removes it. */
  redeemRefreshToken(token: string): RefreshTokenGrant | undefined {
    const grant = this.refreshTokens.get(token);
    this.refreshTokens.delete(token);
    return grant;
  }

  /** Records a client assertion's jti; false when it was already used and is still valid. */
  rememberAssertion(jti: string, expiresAt: number, now: number): boolean {
    for (const [id, expiry] of this.assertionIds) if (expiry < now) this.assertionIds.delete(id);
    if (this.assertionIds.has(jti)) return false;
    this.assertionIds.set(jti, expiresAt);
    return true;
  }

  clear(): void {
    this.codes.clear();
    this.deviceCodes.clear();
    this.userCodes.clear();
    this.refreshTokens.clear();
    this.assertionIds.clear();
  }
}
