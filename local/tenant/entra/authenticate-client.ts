import { X509Certificate, createHash, timingSafeEqual } from 'node:crypto';
import { decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import type { Directory } from '../directory.ts';
import type { SeedApplication } from '../seed/tenant-seed.ts';
import type { GrantStore } from './grant-store.ts';
import { missingParameter, OAuthError } from './oauth-error.ts';
import type { ClientAuthenticationLevel } from './token-issuer.ts';

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export interface ClientAuthenticationContext {
  directory: Directory;
  grants: GrantStore;
  /** The token endpoint URL: the audience client assertions must name. */
  tokenEndpoint: string;
  /** Certificates registered for a client besides the seed's (added by tests or the launcher). */
  certificatesOf: (clientId: string) => readonly X509Certificate[];
  now: number;
}

/**
 * Who is calling the token endpoint, as Entra decides it: a public client must not present a
 * credential; a confidential one presents a secret (form or Basic) or a client assertion signed
 * with a registered certificate's key (x5t or x5t#S256 header, aud = token endpoint, iss = sub =
 * client id, unexpired, jti not replayed).
 */
export async function authenticateClient(
  form: URLSearchParams,
  authorization: string | undefined,
  context: ClientAuthenticationContext,
): Promise<{ client: SeedApplication; level: ClientAuthenticationLevel }> {
  let basicId: string | undefined;
  let basicSecret: string | undefined;
  if (authorization?.toLowerCase().startsWith('basic ')) {
    const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    basicId = decodeURIComponent(decoded.slice(0, Math.max(colon, 0)));
    basicSecret = decodeURIComponent(decoded.slice(colon + 1));
  }
  const clientId = form.get('client_id') ?? basicId;
  if (!clientId) {
    throw missingParameter('client_id');
  }
  const client = context.directory.findApplication(clientId);
  if (!client) {
    throw new OAuthError(
      'unauthorized_client',
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${context.directory.displayName}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
    );
  }
  // A secret may come in the form or in a Basic header (client_secret_post, client_secret_basic).
  const secret = form.get('client_secret') ?? basicSecret ?? null;
  const assertion = form.get('client_assertion');
  if (client.clientType === 'public') {
    if (secret !== null || assertion !== null) {
      throw new OAuthError(
        'invalid_client',
        700025,
        "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.",
      );
    }
    return { client, level: '0' };
  }
  if (secret !== null) {
    const given = Buffer.from(secret);
    const match = client.clientSecrets.some((s) => {
      const known = Buffer.from(s);
      return known.length === given.length && timingSafeEqual(known, given);
    });
    if (!match) {
      throw new OAuthError(
        'invalid_client',
        7000215,
        `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${client.clientId}'.`,
      );
    }
    return { client, level: '1' };
  }
  if (assertion !== null) {
    if (form.get('client_assertion_type') !== JWT_BEARER) {
      throw new OAuthError(
        'invalid_request',
        7000212,
        `The client_assertion_type must be '${JWT_BEARER}'.`,
      );
    }
    await verifyClientAssertion(assertion, client, context);
    return { client, level: '2' };
  }
  throw new OAuthError(
    'invalid_client',
    7000218,
    "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
  );
}

async function verifyClientAssertion(
  assertion: string,
  client: SeedApplication,
  context: ClientAuthenticationContext,
): Promise<void> {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(assertion);
  } catch {
    throw new OAuthError('invalid_client', 50027, 'JWT token is invalid or malformed.');
  }
  const sha256 = typeof header['x5t#S256'] === 'string' ? header['x5t#S256'] : undefined;
  const sha1 = typeof header.x5t === 'string' ? header.x5t : undefined;
  const certificates = [
    ...client.certificates.map((pem) => new X509Certificate(pem)),
    ...context.certificatesOf(client.clientId),
  ];
  const certificate = certificates.find((c) =>
    sha256 !== undefined
      ? thumbprint(c, 'sha256') === sha256
      : sha1 !== undefined && thumbprint(c, 'sha1') === sha1,
  );
  if (!certificate) {
    throw new OAuthError(
      'invalid_client',
      700027,
      `The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '${sha256 ?? sha1 ?? 'none'}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${client.clientId}'.]`,
    );
  }
  let payload: Awaited<ReturnType<typeof jwtVerify>>['payload'];
  try {
    ({ payload } = await jwtVerify(assertion, certificate.publicKey, {
      algorithms: ['RS256', 'PS256'],
      audience: context.tokenEndpoint,
      issuer: client.clientId,
      subject: client.clientId,
      currentDate: new Date(context.now),
      clockTolerance: 300,
      requiredClaims: ['exp', 'jti'],
    }));
  } catch (cause) {
    if (
      cause instanceof joseErrors.JWTExpired ||
      (cause instanceof joseErrors.JWTClaimValidationFailed && cause.claim === 'nbf')
    ) {
      throw new OAuthError(
        'invalid_client',
        700024,
        'Client assertion is not within its valid time range.',
      );
    }
    if (cause instanceof joseErrors.JWTClaimValidationFailed && cause.claim === 'aud') {
      throw new OAuthError(
        'invalid_client',
        700212,
        `No matching federated identity record found for presented assertion audience. The audience must be ${context.tokenEndpoint}.`,
      );
    }
    if (cause instanceof joseErrors.JWTClaimValidationFailed) {
      throw new OAuthError(
        'invalid_client',
        700021,
        `Client assertion application identifier doesn't match 'client_id' parameter (${cause.claim}).`,
      );
    }
    throw new OAuthError(
      'invalid_client',
      700027,
      'Client assertion contains an invalid signature.',
    );
  }
  if (
    !context.grants.rememberAssertion(String(payload.jti), (payload.exp ?? 0) * 1000, context.now)
  ) {
    throw new OAuthError(
      'invalid_client',
      700027,
      'Client assertion is a replay: its jti was used before.',
    );
  }
}

function thumbprint(certificate: X509Certificate, algorithm: 'sha1' | 'sha256'): string {
  return createHash(algorithm).update(certificate.raw).digest('base64url');
}
