import { CourierError } from '../courier-error.ts';

export type GraphErrorCode =
  /** The tenant's Passkey (FIDO2) policy has "Allow self-service setup" off: every registration fails. */
  | 'SELF_SERVICE_DISABLED'
  /** The user is not in the FIDO2 policy's include targets, or is excluded. */
  | 'USER_NOT_TARGETED'
  /** The key's AAGUID is not allowed by the policy's key restrictions. */
  | 'AAGUID_NOT_ALLOWED'
  /** The passkey profiles that apply to the user admit no device-bound passkeys. */
  | 'PASSKEY_TYPE_NOT_ALLOWED'
  /** Attestation is enforced and this key's attestation does not chain to a trusted root. */
  | 'ATTESTATION_NOT_TRUSTED'
  /** The creation options' challenge expired before registration. */
  | 'CHALLENGE_EXPIRED'
  /** This credential (or this key, for this user) is already registered. */
  | 'ALREADY_REGISTERED'
  /** The FIDO2 method is disabled in the tenant. */
  | 'POLICY_DISABLED'
  | 'USER_NOT_FOUND'
  /** The app lacks a Graph permission (or an admin role / administrative unit scope). */
  | 'INSUFFICIENT_PRIVILEGES'
  /** Graph kept answering 429 until the retry budget ran out. */
  | 'THROTTLED'
  /** Graph kept failing with 5xx until the retry budget ran out. */
  | 'SERVICE_UNAVAILABLE'
  /** A request (not a policy check) was refused: the message quotes Graph. */
  | 'BAD_REQUEST'
  | 'NOT_FOUND'
  | 'CONFLICT'
  /** Authentication to Graph failed (no token, invalid token, wrong tenant). */
  | 'UNAUTHENTICATED'
  /** Graph answered with something that does not match its published shape. */
  | 'INVALID_RESPONSE'
  /** The connection failed; for a non-idempotent request, the outcome is unknown. */
  | 'NETWORK';

export interface GraphErrorDetails {
  status?: number;
  /** Graph's own error code, e.g. "badRequest", "Request_ResourceNotFound". */
  graphCode?: string;
  /** Graph's request-id, for Microsoft support and the audit trail. */
  requestId?: string;
  clientRequestId?: string;
  /** Seconds Graph asked us to wait, when it did. */
  retryAfterSeconds?: number;
  /** NETWORK only: the request may have reached Graph (sent, then the connection failed). */
  outcomeUnknown?: boolean;
  cause?: unknown;
}

/**
 * A failure talking to Microsoft Graph, classified into a cause an operator can act on. Graph's
 * request-id and client-request-id are kept, so every failure can be traced with Microsoft.
 */
export class GraphError extends CourierError<GraphErrorCode> {
  readonly status: number | undefined;
  readonly graphCode: string | undefined;
  readonly requestId: string | undefined;
  readonly clientRequestId: string | undefined;
  readonly retryAfterSeconds: number | undefined;
  readonly outcomeUnknown: boolean;

  constructor(code: GraphErrorCode, message: string, details: GraphErrorDetails = {}) {
    super(code, message, details.cause === undefined ? undefined : { cause: details.cause });
    this.status = details.status;
    this.graphCode = details.graphCode;
    this.requestId = details.requestId;
    this.clientRequestId = details.clientRequestId;
    this.retryAfterSeconds = details.retryAfterSeconds;
    this.outcomeUnknown = details.outcomeUnknown ?? false;
  }
}
