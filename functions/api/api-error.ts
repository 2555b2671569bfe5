import { CourierError } from '../../core/courier-error.ts';

/**
 * An API answer that is not a success, decided by the handler: an HTTP status, a stable code
 * the callers branch on, and a message saying what to do next.
 */
export class ApiError extends CourierError<string> {
  readonly status: number;
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    code: string,
    message: string,
    options: { cause?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(code, message, options.cause === undefined ? {} : { cause: options.cause });
    this.status = status;
    this.headers = options.headers ?? {};
  }
}
