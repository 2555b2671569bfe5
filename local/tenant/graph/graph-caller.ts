import type { KeyObject } from 'node:crypto';
import { errors as joseErrors, jwtVerify } from 'jose';
import { MICROSOFT_GRAPH } from '../directory.ts';
import { header, type TenantRequest, type TenantResponse } from '../http/tenant-request.ts';
import { graphError } from './graph-error.ts';
import { GraphPermission, type GraphOperationPermission } from './graph-permissions.ts';

/** Who is calling Graph, from the bearer token. */
export interface GraphCaller {
  kind: 'application' | 'delegated';
  /** The client application (azp). */
  appId: string;
  /** roles for an application, scp for a delegated caller. */
  permissions: readonly string[];
  /** The signed-in user (oid) for delegated callers. */
  userId: string | undefined;
}

export interface GraphTokenSettings {
  signingKey: KeyObject;
  issuer: string;
  authorizeUrl: string;
  now: number;
}

/**
 * Validates the bearer token as Graph does (signature, issuer, audience Graph by URI or app id,
 * lifetime with five minutes of skew) and answers 401 InvalidAuthenticationToken with Graph's
 * messages and WWW-Authenticate header when it fails.
 */
export async function authenticateGraphCaller(
  request: TenantRequest,
  settings: GraphTokenSettings,
): Promise<GraphCaller | TenantResponse> {
  const unauthorized = (message: string) =>
    graphError(request, 401, 'InvalidAuthenticationToken', message, {
      'www-authenticate': `Bearer realm="", authorization_uri="${settings.authorizeUrl}", client_id="${MICROSOFT_GRAPH.appId}"`,
    });
  const authorization = header(request, 'authorization') ?? '';
  const match = /^Bearer\s+(\S*)\s*$/i.exec(authorization);
  const token = match?.[1] ?? '';
  if (token.length === 0) return unauthorized('Access token is empty.');
  if (token.split('.').length !== 3) {
    return unauthorized(
      "IDX14100: JWT is not well formed, there are no dots (.).\nThe token needs to be in JWS or JWE Compact Serialization Format. (JWS): 'EncodedHeader.EndcodedPayload.EncodedSignature'. (JWE): 'EncodedProtectedHeader.EncodedEncryptedKey.EncodedInitializationVector.EncodedCiphertext.EncodedAuthenticationTag'.",
    );
  }
  try {
    const { payload } = await jwtVerify(token, settings.signingKey, {
      algorithms: ['RS256'],
      issuer: settings.issuer,
      audience: [MICROSOFT_GRAPH.identifierUri, MICROSOFT_GRAPH.appId],
      currentDate: new Date(settings.now),
      clockTolerance: 300,
      requiredClaims: ['exp', 'azp'],
    });
    const scp =
      typeof payload.scp === 'string' ? payload.scp.split(' ').filter(Boolean) : undefined;
    const roles = Array.isArray(payload.roles)
      ? payload.roles.filter((r): r is string => typeof r === 'string')
      : [];
    return {
      kind: scp === undefined ? 'application' : 'delegated',
      appId: String(payload.azp),
      permissions: scp ?? roles,
      userId: scp === undefined ? undefined : String(payload.oid),
    };
  } catch (cause) {
    if (cause instanceof joseErrors.JWTExpired)
      return unauthorized('Lifetime validation failed, the token is expired.');
    if (cause instanceof joseErrors.JWTClaimValidationFailed && cause.claim === 'aud')
      return unauthorized('Invalid audience.');
    return unauthorized('Access token validation failure.');
  }
}

/** 403 Authorization_RequestDenied unless the caller holds one of the operation's permissions. */
export function requirePermission(
  request: TenantRequest,
  caller: GraphCaller,
  operation: GraphOperationPermission,
): TenantResponse | undefined {
  const allowed: readonly string[] = GraphPermission[operation];
  if (caller.permissions.some((p) => allowed.includes(p))) return undefined;
  return graphError(
    request,
    403,
    'Authorization_RequestDenied',
    'Insufficient privileges to complete the operation.',
  );
}
