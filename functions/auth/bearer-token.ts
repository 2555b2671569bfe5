import { AuthError } from './auth-error.ts';

/**
 * The token of an `Authorization: Bearer <token>` header (scheme case-insensitive, RFC 6750), or
 * MISSING_TOKEN. Other schemes count as missing: this API only takes bearer tokens.
 */
export function bearerToken(authorization: string | null | undefined): string {
  const match = /^Bearer[ ]+([A-Za-z0-9._~+/-]+=*)\s*$/i.exec(authorization ?? '');
  if (!match?.[1]) {
    throw new AuthError(
      'MISSING_TOKEN',
      'Send an Entra access token for this API in the Authorization header as "Bearer <token>".',
    );
  }
  return match[1];
}
