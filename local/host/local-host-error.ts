import { CourierError } from '../../core/courier-error.ts';

export type LocalHostErrorCode =
  /** The entry module failed to import, or registered nothing the host can see. */
  | 'APP_LOAD_FAILED'
  /** host.json or local.settings.json is unreadable or has a value the host cannot use. */
  | 'APP_CONFIG_INVALID'
  /** An option given to the host is out of range (port, time scale, concurrency…). */
  | 'OPTION_INVALID'
  /** An HTTP route template the Functions host would reject (bad syntax, unknown constraint). */
  | 'ROUTE_INVALID'
  /** The state folder holds a file the host cannot read back. */
  | 'STATE_INVALID'
  /** The app uses a Functions or Durable feature this local host does not run. */
  | 'UNSUPPORTED';

/** A problem loading, configuring or running the local Functions + Durable Functions host. */
export class LocalHostError extends CourierError<LocalHostErrorCode> {}
