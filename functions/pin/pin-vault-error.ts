import { CourierError } from '../../core/courier-error.ts';

export type PinVaultErrorCode =
  | 'INVALID_INPUT'
  /** No envelope was ever stored for the request. */
  | 'NOT_FOUND'
  /** A different envelope is already stored for the request. */
  | 'CONFLICT'
  /** The PIN was released once already; it never is again. */
  | 'ALREADY_RELEASED'
  /** The envelope was destroyed (request revoked or cancelled) before release. */
  | 'DESTROYED'
  /** A stored entry does not have the shape this code writes. */
  | 'CORRUPT_RECORD'
  /** Table storage failed or could not be reached. */
  | 'STORAGE';

/** A PIN vault failure. Messages name the request, never the envelope's content. */
export class PinVaultError extends CourierError<PinVaultErrorCode> {}
