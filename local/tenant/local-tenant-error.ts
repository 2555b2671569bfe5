import { CourierError } from '../../core/courier-error.ts';

export type LocalTenantErrorCode =
  /** The seed file is missing, is not JSON, or breaks the schema; `problems` lists each issue. */
  | 'SEED_INVALID'
  /** The TLS state folder holds files that cannot be used (unreadable, mismatched key, bad PEM). */
  | 'TLS_STATE_INVALID'
  /** The tenant was configured with something it cannot honour (unknown persona, bad port…). */
  | 'CONFIGURATION_INVALID';

/** A problem starting or configuring the local Entra/Graph tenant. */
export class LocalTenantError extends CourierError<LocalTenantErrorCode> {
  readonly problems: readonly string[];

  constructor(
    code: LocalTenantErrorCode,
    message: string,
    options?: { cause?: unknown; problems?: readonly string[] },
  ) {
    super(code, message, options);
    this.problems = options?.problems ?? [];
  }
}
