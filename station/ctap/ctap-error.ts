import { CourierError } from '../../core/courier-error.ts';
import { CtapStatus, ctapStatusName, isKnownCtapStatus } from './ctap-status.ts';

/** What a person at the station can do about the common statuses. */
const ADVICE: Partial<Record<number, string>> = {
  [CtapStatus.PIN_INVALID]:
    'The PIN was wrong (or must be changed first). Each wrong PIN uses up a retry.',
  [CtapStatus.PIN_BLOCKED]:
    'The PIN is blocked after too many wrong attempts. The key must be reset.',
  [CtapStatus.PIN_AUTH_BLOCKED]:
    'Three wrong PINs in a row: unplug and re-insert the key before trying again.',
  [CtapStatus.PIN_NOT_SET]: 'The key has no PIN yet. Set one first.',
  [CtapStatus.PIN_POLICY_VIOLATION]:
    "The PIN does not meet the key's PIN policy (length or complexity), the key demands a PIN change first (forcePINChange), or a policy would be lowered.",
  [CtapStatus.PIN_AUTH_INVALID]:
    'The key refused the PIN/UV authentication (stale token or wrong permissions). Get a new token and retry.',
  [CtapStatus.PUAT_REQUIRED]: 'The key requires PIN authentication for this operation.',
  [CtapStatus.CREDENTIAL_EXCLUDED]:
    'The key already holds a credential for this account (excludeCredentials matched).',
  [CtapStatus.KEY_STORE_FULL]:
    'The key has no room for another discoverable credential. Delete one or reset the key.',
  [CtapStatus.USER_ACTION_TIMEOUT]:
    'Nobody touched the key in time. Touch the key when it blinks, then retry.',
  [CtapStatus.ACTION_TIMEOUT]:
    'Nobody touched the key in time. Touch the key when it blinks, then retry.',
  [CtapStatus.KEEPALIVE_CANCEL]: 'The operation was cancelled.',
  [CtapStatus.NOT_ALLOWED]:
    'The key does not allow this now (for reset: re-insert the key and reset within 10 seconds).',
  [CtapStatus.OPERATION_DENIED]: 'The key or the user denied the operation.',
  [CtapStatus.NO_CREDENTIALS]: 'The key holds no matching credential.',
  [CtapStatus.UNSUPPORTED_ALGORITHM]: 'The key supports none of the requested algorithms.',
  [CtapStatus.UNSUPPORTED_OPTION]: 'The key does not support a requested option.',
  [CtapStatus.INVALID_OPTION]: 'A requested option is invalid for this key.',
  [CtapStatus.UNAUTHORIZED_PERMISSION]:
    'The key does not grant the requested PIN token permissions.',
  [CtapStatus.REQUEST_TOO_LARGE]: 'The request is larger than the key accepts (maxMsgSize).',
  [CtapStatus.INVALID_SUBCOMMAND]: 'The key does not support this subcommand.',
};

/**
 * An authenticator answered with a non-zero CTAP status. `code` is the status name
 * (`PIN_INVALID`, …), or `UNKNOWN_STATUS_0xNN` / `VENDOR_ERROR_0xNN` for codes this stack does
 * not know, whose number is kept in `status`.
 */
export class CtapError extends CourierError<string> {
  readonly status: number;
  /** The CTAP command that failed, e.g. "makeCredential" or "clientPIN/getPinUvAuthToken". */
  readonly command: string | undefined;

  constructor(status: number, options: { command?: string; cause?: unknown } = {}) {
    const name = ctapStatusName(status);
    const hex = `0x${status.toString(16).padStart(2, '0')}`;
    const where = options.command ? `${options.command} failed` : 'The security key answered';
    const advice =
      ADVICE[status] ??
      (isKnownCtapStatus(status) ? '' : 'This status is not defined by CTAP 2.1.');
    super(name, `${where}: ${name} (${hex}).${advice ? ` ${advice}` : ''}`, options);
    this.status = status;
    this.command = options.command;
  }

  is(status: number): boolean {
    return this.status === status;
  }
}
