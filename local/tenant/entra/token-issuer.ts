import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { SignJWT, type JWTPayload } from 'jose';
import type { Clock } from '../clock.ts';
import type { Directory, DirectoryUser, Resource } from '../directory.ts';
import type { SeedApplication } from '../seed/tenant-seed.ts';
import type { SigningKey } from '../tenant-keys.ts';

/**
 * How the client proved itself, as Entra's azpacr/appidacr say it: 0 public client, 1 client
 * secret, 2 certificate (client assertion).
 */
export type ClientAuthenticationLevel = '0' | '1' | '2';

export interface IssuedToken {
  token: string;
  expiresIn: number;
}

/**
 * Issues Entra v2.0-shaped JWTs signed RS256 with the tenant's key (kid and x5t in the header), so
 * code that validates Entra tokens (issuer, audience, signature through JWKS, roles, scp, tid)
 * runs unchanged against the local tenant. Claims follow the v2 access token reference: aud, iss,
 * iat, nbf, exp, aio, azp, azpacr, name, oid, preferred_username, rh, roles, scp, sid, sub, tid,
 * uti, ver; plus upn (the optional claim most apps turn on) for users and idtyp for apps.
 */
export class TokenIssuer {
  readonly issuer: string;
  private readonly key: SigningKey;
  private readonly directory: Directory;
  private readonly clock: Clock;
  private readonly lifetimeSeconds: number;

  constructor(options: {
    issuer: string;
    key: SigningKey;
    directory: Directory;
    clock: Clock;
    lifetimeSeconds: number;
  }) {
    this.issuer = options.issuer;
    this.key = options.key;
    this.directory = options.directory;
    this.clock = options.clock;
    this.lifetimeSeconds = options.lifetimeSeconds;
  }

  /** Client credentials: the app itself, with its application permissions as roles. */
  appAccessToken(
    client: SeedApplication,
    resource: Resource,
    roles: string[],
    level: ClientAuthenticationLevel,
  ): Promise<IssuedToken> {
    const servicePrincipal = this.directory.servicePrincipalId(client.clientId);
    return this.sign({
      ...this.clientClaims(client, resource, level),
      idtyp: 'app',
      oid: servicePrincipal,
      rh: opaque(),
      ...(roles.length > 0 ? { roles } : {}),
      sub: servicePrincipal,
      tid: this.directory.tenantId,
      uti: opaque(16),
      ver: '2.0',
    });
  }

  /** What every access token says of its audience and of the client that asked for it. */
  private clientClaims(
    client: SeedApplication,
    resource: Resource,
    level: ClientAuthenticationLevel,
  ): Record<string, unknown> {
    return {
      aud: resource.audience,
      ...this.common(),
      azp: client.clientId,
      azpacr: level,
      // Graph's own tokens are v1.0 and carry appid/appidacr; clients that read those find them.
      ...(resource.kind === 'graph' ? { appid: client.clientId, appidacr: level } : {}),
    };
  }

  /** A delegated token: the signed-in user, with the scopes granted (scp) and app roles (roles). */
  userAccessToken(
    client: SeedApplication,
    user: DirectoryUser,
    resource: Resource,
    grant: { scopes: string[]; roles: string[] },
    level: ClientAuthenticationLevel,
    sessionId: string,
  ): Promise<IssuedToken> {
    return this.sign({
      ...this.clientClaims(client, resource, level),
      idtyp: 'user',
      name: user.displayName,
      oid: user.id,
      preferred_username: user.userPrincipalName,
      rh: opaque(),
      ...(grant.roles.length > 0 ? { roles: grant.roles } : {}),
      scp: grant.scopes.join(' '),
      sid: sessionId,
      sub: pairwiseSubject(user.id, client.clientId),
      tid: this.directory.tenantId,
      upn: user.userPrincipalName,
      uti: opaque(16),
      ver: '2.0',
    });
  }

  /** The OpenID Connect id token for the client itself (aud = client id). */
  idToken(
    client: SeedApplication,
    user: DirectoryUser,
    sessionId: string,
    nonce: string | undefined,
  ): Promise<IssuedToken> {
    return this.sign({
      aud: client.clientId,
      ...this.common(),
      name: user.displayName,
      ...(nonce === undefined ? {} : { nonce }),
      oid: user.id,
      preferred_username: user.userPrincipalName,
      rh: opaque(),
      sid: sessionId,
      sub: pairwiseSubject(user.id, client.clientId),
      tid: this.directory.tenantId,
      uti: opaque(16),
      ver: '2.0',
    });
  }

  /** MSAL's client_info: base64url JSON of the user's home object id and tenant id. */
  clientInfo(user: DirectoryUser): string {
    return Buffer.from(JSON.stringify({ uid: user.id, utid: this.directory.tenantId })).toString(
      'base64url',
    );
  }

  newSessionId(): string {
    return randomUUID();
  }

  private common(): JWTPayload {
    const now = Math.floor(this.clock() / 1000);
    return {
      iss: this.issuer,
      iat: now,
      nbf: now,
      exp: now + this.lifetimeSeconds,
      aio: opaque(48),
    };
  }

  private async sign(payload: JWTPayload): Promise<IssuedToken> {
    const token = await new SignJWT(payload)
      .setProtectedHeader({ typ: 'JWT', alg: 'RS256', x5t: this.key.kid, kid: this.key.kid })
      .sign(this.key.privateKey);
    return { token, expiresIn: this.lifetimeSeconds };
  }
}

/** Entra's `sub` is pairwise: the same user has a different subject in each application. */
export function pairwiseSubject(userId: string, clientId: string): string {
  return createHash('sha256')
    .update(`${userId.toLowerCase()}|${clientId.toLowerCase()}`)
    .digest('base64url')
    .slice(0, 43);
}

function opaque(bytes = 24): string {
  return randomBytes(bytes).toString('base64url');
}
