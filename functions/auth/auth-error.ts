import { CourierError } from '../../core/courier-error.ts';

export type AuthErrorCode =
  /** No bearer token on the request. */
  | 'MISSING_TOKEN'
  /** Not a valid token: malformed, bad signature, unknown key, wrong algorithm, not yet valid. */
  | 'INVALID_TOKEN'
  /** The token has expired (beyond the allowed clock skew). */
  | 'EXPIRED'
  /** The token is for another API. */
  | 'WRONG_AUDIENCE'
  /** The token comes from another issuer or tenant (or is a v1.0 token). */
  | 'WRONG_ISSUER'
  /** A valid token without the app role or scope this call needs. */
  | 'FORBIDDEN'
  /** Entra's metadata or signing keys could not be fetched: the service's problem, not the caller's. */
  | 'UNAVAILABLE'
  /** The validator's own settings are wrong. */
  | 'CONFIGURATION_INVALID';

/** HTTP status an API answers for each code. */
const HTTP_STATUS: Record<AuthErrorCode, number> = {
  MISSING_TOKEN: 401,
  INVALID_TOKEN: 401,
  EXPIRED: 401,
  WRONG_AUDIENCE: 401,
  WRONG_ISSUER: 401,
  FORBIDDEN: 403,
  UNAVAILABLE: 503,
  CONFIGURATION_INVALID: 500,
};

/**
 * An authentication or authorisation failure. Messages say what is wrong and what to do, and
 * never contain the token or any part of it (they may name claims such as the audience).
 */
export class AuthError extends CourierError<AuthErrorCode> {
  get httpStatus(): number {
    return HTTP_STATUS[this.code];
  }
}
