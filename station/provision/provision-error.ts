import { CourierError } from '../../core/courier-error.ts';

export type ProvisionErrorCode =
  /** The key already has a PIN or credentials and must be reset first. */
  | 'KEY_NOT_FRESH'
  /** The key's model (AAGUID) is not in the job's key class. */
  | 'KEY_NOT_ALLOWED'
  | 'FIRMWARE_TOO_OLD'
  /** The key lacks something the key class requires (PIN, authenticatorConfig, protocol 2). */
  | 'CAPABILITY_MISSING'
  /** The key was unplugged or stopped answering. */
  | 'KEY_REMOVED'
  /** Nobody touched the key in time. */
  | 'TOUCH_TIMEOUT'
  /** A reset was refused: the key is still on a live request, or the reset window closed. */
  | 'RESET_REFUSED'
  /** The key's attestation does not verify locally (signature, chain, rpIdHash, flags, AAGUID). */
  | 'ATTESTATION_INVALID'
  /** Graph refused the registration for good (tenant policy). */
  | 'REGISTRATION_REFUSED'
  /** The service's sign-in check failed: the credential was revoked. */
  | 'SIGN_IN_FAILED'
  /** forcePINChange could not be set or did not read back. */
  | 'PIN_CHANGE_NOT_CONFIRMED'
  /** The station lost its hold on the job. */
  | 'LEASE_LOST'
  /** The operator stopped the job. */
  | 'ABORTED'
  /** Anything else the key refused. */
  | 'KEY_ERROR'
  /** The service could not be reached or refused the call. */
  | 'SERVICE_ERROR';

/**
 * A per-key step failed. `message` is the one instruction for the operator (what to do with the
 * key now, never a code to look up); `needsReset` says the key holds a PIN or a credential and
 * must be reset before it is used again.
 */
export class ProvisionError extends CourierError<ProvisionErrorCode> {
  readonly needsReset: boolean;
  /** The programming attempt the failure belongs to, once the pipeline knows it. */
  attempt: number | undefined;

  constructor(
    code: ProvisionErrorCode,
    message: string,
    options: { cause?: unknown; needsReset?: boolean } = {},
  ) {
    super(code, message, options.cause === undefined ? {} : { cause: options.cause });
    this.needsReset = options.needsReset ?? false;
  }
}
