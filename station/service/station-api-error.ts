import { CourierError } from '../../core/courier-error.ts';

/**
 * The service refused or failed a station call. `code` is the service's stable error code
 * (LEASE_LOST, WRONG_KEY_CLASS, SIGN_IN_FAILED…), or UNREACHABLE / UNAUTHORIZED / INVALID_RESPONSE
 * when the answer never came or made no sense; `message` is the service's instruction.
 */
export class StationApiError extends CourierError<string> {
  readonly status: number | undefined;
  readonly requestId: string | undefined;

  constructor(
    code: string,
    message: string,
    options: { status?: number; requestId?: string; cause?: unknown } = {},
  ) {
    super(code, message, options.cause === undefined ? {} : { cause: options.cause });
    this.status = options.status;
    this.requestId = options.requestId;
  }
}
