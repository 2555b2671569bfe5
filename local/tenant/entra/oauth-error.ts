import { CourierError } from '../../../core/courier-error.ts';
import type { TenantRequest, TenantResponse } from '../http/tenant-request.ts';

export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'invalid_scope'
  | 'invalid_resource'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'unsupported_response_type'
  | 'authorization_pending'
  | 'authorization_declined'
  | 'expired_token'
  | 'consent_required'
  | 'interaction_required';

/**
 * An OAuth error as Entra's token endpoints answer it: the RFC 6749 `error`, plus the AADSTS
 * number and text Entra puts in `error_description` and `error_codes`, so clients that branch on
 * either (MSAL does on `error`, people do on AADSTS numbers) behave as they would against Entra.
 */
export class OAuthError extends CourierError<OAuthErrorCode> {
  readonly status: number;
  readonly aadsts: number;

  constructor(code: OAuthErrorCode, aadsts: number, message: string, status?: number) {
    super(code, message);
    this.aadsts = aadsts;
    this.status = status ?? (code === 'invalid_client' ? 401 : 400);
  }
}

/** Entra's AADSTS900144 for a request body without a parameter it needs. */
export function missingParameter(name: string): OAuthError {
  return new OAuthError(
    'invalid_request',
    900144,
    `The request body must contain the following parameter: '${name}'.`,
  );
}

/** A form parameter the request must carry, or AADSTS900144 naming it. */
export function requiredParameter(form: URLSearchParams, name: string): string {
  const value = form.get(name);
  if (!value) throw missingParameter(name);
  return value;
}

/** Entra's AADSTS9002313 for a grant (code, refresh token) that is unknown or not the client's. */
export function malformedGrant(): OAuthError {
  return new OAuthError(
    'invalid_grant',
    9002313,
    'Invalid request. Request is malformed or invalid.',
  );
}

export function oauthErrorResponse(
  error: OAuthError,
  request: TenantRequest,
  errorUriBase: string,
): TenantResponse {
  const timestamp = new Date(request.receivedAt)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, 'Z');
  return {
    status: error.status,
    headers: { 'cache-control': 'no-store', pragma: 'no-cache' },
    json: {
      error: error.code,
      error_description: `AADSTS${error.aadsts}: ${error.message}\r\nTrace ID: ${request.requestId}\r\nCorrelation ID: ${request.clientRequestId}\r\nTimestamp: ${timestamp}`,
      error_codes: [error.aadsts],
      timestamp,
      trace_id: request.requestId,
      correlation_id: request.clientRequestId,
      error_uri: `${errorUriBase}/error?code=${error.aadsts}`,
    },
  };
}
