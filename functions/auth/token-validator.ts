import { Agent } from 'node:https';
import {
  createRemoteJWKSet,
  customFetch,
  decodeJwt,
  errors,
  jwtVerify,
  type JWTVerifyGetKey,
} from 'jose';
import { z } from 'zod';
import { AuthError } from './auth-error.ts';
import { bearerToken } from './bearer-token.ts';
import { createHttpsFetch, type HttpsFetch } from './https-fetch.ts';
import { principalFromClaims, type Principal } from './principal.ts';

export interface TokenValidatorOptions {
  /** Entra's authority host: https://login.microsoftonline.com, or the local tenant's root URL. */
  authorityHost: string;
  /** The tenant id (a GUID): tokens must come from this tenant. */
  tenantId: string;
  /** Accepted audiences: the API's client id and/or its Application ID URI (api://…). */
  audiences: string[];
  /**
   * The agent for fetching OIDC metadata and signing keys. Give one with `ca` to trust a local CA
   * (add tls.rootCertificates to keep trusting public CAs too). Default: Node's CAs.
   */
  agent?: Agent;
  /** Allowed clock skew for exp and nbf; default 60 s, at most 300 s. */
  clockToleranceSeconds?: number;
  /** The validator's clock (ms since the epoch); tests move it. */
  now?: () => number;
  /** How long metadata and key fetches may take; default 5 s. */
  fetchTimeoutMs?: number;
}

const optionsSchema = z.object({
  authorityHost: z.url({ protocol: /^https$/ }).transform((u) => u.replace(/\/+$/, '')),
  tenantId: z.uuid(),
  audiences: z.array(z.string().min(1)).min(1),
  clockToleranceSeconds: z.number().int().min(0).max(300).default(60),
  fetchTimeoutMs: z.number().int().min(100).max(60_000).default(5000),
});

const metadataSchema = z.object({
  issuer: z.url({ protocol: /^https$/ }),
  jwks_uri: z.url({ protocol: /^https$/ }),
});

/** Entra's access tokens are a few KB; anything far larger is not one. */
const MAX_TOKEN_LENGTH = 16 * 1024;
/** Metadata is re-read daily; signing keys follow jose's cache (refetched on an unknown kid). */
const METADATA_MAX_AGE_MS = 24 * 60 * 60 * 1000;

interface Metadata {
  issuer: string;
  keys: JWTVerifyGetKey;
}

/**
 * Validates Entra v2.0 access tokens for the functions app's APIs (docs/design.md §2.3): the signature
 * against the keys the tenant's OpenID metadata points to, the issuer and tenant, the audience,
 * and expiry and not-before with a small clock skew; then reads the caller as a Principal. The
 * same code runs against Entra and against the local tenant; only the authority and the trusted
 * CA differ. Errors never contain the token.
 */
export class TokenValidator {
  private readonly authorityHost: string;
  private readonly tenantId: string;
  private readonly audiences: string[];
  private readonly clockTolerance: number;
  private readonly timeout: number;
  private readonly now: () => number;
  private readonly fetch: HttpsFetch;
  private metadata: { loading: Promise<Metadata>; startedAt: number } | undefined;

  constructor(options: TokenValidatorOptions) {
    const checked = optionsSchema.safeParse(options);
    if (!checked.success) {
      throw new AuthError(
        'CONFIGURATION_INVALID',
        `Token validation settings are invalid: ${checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    }
    this.authorityHost = checked.data.authorityHost;
    this.tenantId = checked.data.tenantId.toLowerCase();
    this.audiences = checked.data.audiences;
    this.clockTolerance = checked.data.clockToleranceSeconds;
    this.timeout = checked.data.fetchTimeoutMs;
    this.now = options.now ?? Date.now;
    this.fetch = createHttpsFetch(options.agent ?? new Agent({ keepAlive: true }));
  }

  /** Validates the `Authorization` header's bearer token. */
  async validateAuthorization(authorization: string | null | undefined): Promise<Principal> {
    return this.validate(bearerToken(authorization));
  }

  async validate(token: string): Promise<Principal> {
    if (token.length === 0) return this.validateAuthorization(undefined);
    if (token.length > MAX_TOKEN_LENGTH) {
      throw new AuthError('INVALID_TOKEN', 'The bearer token is too long to be an access token.');
    }
    const metadata = await this.currentMetadata();
    let claims: Record<string, unknown>;
    try {
      ({ payload: claims } = await jwtVerify(token, metadata.keys, {
        issuer: metadata.issuer,
        audience: this.audiences,
        algorithms: ['RS256'],
        clockTolerance: this.clockTolerance,
        currentDate: new Date(this.now()),
        requiredClaims: ['exp', 'iat', 'tid', 'oid'],
      }));
    } catch (error) {
      throw this.classify(error, token, metadata.issuer);
    }
    const principal = principalFromClaims(claims);
    if (!principal) {
      throw new AuthError(
        'INVALID_TOKEN',
        'The token lacks the claims of an Entra access token (oid, tid, azp).',
      );
    }
    if (principal.tenantId.toLowerCase() !== this.tenantId) {
      throw new AuthError(
        'WRONG_ISSUER',
        `The token is for tenant ${principal.tenantId}; this API accepts only tenant ${this.tenantId}.`,
      );
    }
    return principal;
  }

  private currentMetadata(): Promise<Metadata> {
    const cached = this.metadata;
    if (cached && this.now() - cached.startedAt < METADATA_MAX_AGE_MS) return cached.loading;
    const entry = { loading: this.loadMetadata(), startedAt: this.now() };
    this.metadata = entry;
    // A failed load is not kept: the next request tries again.
    entry.loading.catch(() => {
      if (this.metadata === entry) this.metadata = undefined;
    });
    return entry.loading;
  }

  private async loadMetadata(): Promise<Metadata> {
    const url = `${this.authorityHost}/${this.tenantId}/v2.0/.well-known/openid-configuration`;
    let document: unknown;
    try {
      const response = await this.fetch(url, { signal: AbortSignal.timeout(this.timeout) });
      if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
      document = await response.json();
    } catch (cause) {
      throw new AuthError(
        'UNAVAILABLE',
        `Entra's OpenID metadata at ${url} could not be read (${(cause as Error).message}).`,
        { cause },
      );
    }
    const parsed = metadataSchema.safeParse(document);
    if (!parsed.success) {
      throw new AuthError('UNAVAILABLE', `Entra's OpenID metadata at ${url} is not usable.`);
    }
    const expectedIssuer = `${this.authorityHost}/${this.tenantId}/v2.0`;
    if (parsed.data.issuer.toLowerCase() !== expectedIssuer.toLowerCase()) {
      throw new AuthError(
        'UNAVAILABLE',
        `Entra's OpenID metadata names the issuer ${parsed.data.issuer}, not ${expectedIssuer}; check the authority and tenant settings.`,
      );
    }
    const fetchKeys = this.fetch;
    const keys = createRemoteJWKSet(new URL(parsed.data.jwks_uri), {
      timeoutDuration: this.timeout,
      [customFetch]: (url, init) => fetchKeys(url, init),
    });
    return { issuer: parsed.data.issuer, keys };
  }

  /** Turns jose's verdict into an AuthError with an actionable message and no token in it. */
  private classify(error: unknown, token: string, issuer: string): AuthError {
    const fail = (code: ConstructorParameters<typeof AuthError>[0], message: string) =>
      new AuthError(code, message, { cause: error });
    if (error instanceof errors.JWTExpired) {
      return fail('EXPIRED', 'The access token has expired; get a new one and try again.');
    }
    if (error instanceof errors.JWTClaimValidationFailed) {
      const claims = safeClaims(token);
      switch (error.claim) {
        case 'aud':
          return fail(
            'WRONG_AUDIENCE',
            `The token is for ${describeClaim(claims.aud)}, not this API (${this.audiences.join(' or ')}); request a token for this API's scope.`,
          );
        case 'iss':
          return fail(
            'WRONG_ISSUER',
            typeof claims.iss === 'string' && claims.iss.startsWith('https://sts.windows.net/')
              ? 'The token is an Entra v1.0 token; set accessTokenAcceptedVersion to 2 in the API app registration.'
              : `The token was issued by ${describeClaim(claims.iss)}, not ${issuer}.`,
          );
        case 'nbf':
          return fail('INVALID_TOKEN', 'The token is not valid yet; check the clock of this host.');
        default:
          return fail('INVALID_TOKEN', `The token's ${error.claim} claim is not acceptable.`);
      }
    }
    if (error instanceof errors.JWKSNoMatchingKey) {
      return fail('INVALID_TOKEN', 'The token is signed with a key this tenant does not publish.');
    }
    if (error instanceof errors.JWSSignatureVerificationFailed) {
      return fail('INVALID_TOKEN', 'The token signature does not verify.');
    }
    if (error instanceof errors.JOSEAlgNotAllowed) {
      return fail('INVALID_TOKEN', 'The token is not signed with RS256.');
    }
    if (
      error instanceof errors.JWSInvalid ||
      error instanceof errors.JWTInvalid ||
      error instanceof errors.JOSENotSupported
    ) {
      return fail('INVALID_TOKEN', 'The bearer token is not a well-formed signed JWT.');
    }
    // Anything else is our side failing to fetch the keys (timeout, TLS, network).
    return fail(
      'UNAVAILABLE',
      `The tenant's signing keys could not be fetched (${error instanceof Error ? error.name : 'unknown error'}).`,
    );
  }
}

/** The token's claims for an error message, or nothing when it does not decode. */
function safeClaims(token: string): Record<string, unknown> {
  try {
    return decodeJwt(token);
  } catch {
    return {};
  }
}

/** A claim's value for a message, bounded in length. */
function describeClaim(value: unknown): string {
  if (typeof value === 'string') return value.slice(0, 200);
  if (Array.isArray(value)) return value.map(String).join(', ').slice(0, 200);
  return 'nobody in particular';
}
