import { CourierError } from '../../core/courier-error.ts';

export type AuditTrailErrorCode =
  /** A record failed validation (ids, states, lengths, a forbidden member). */
  | 'INVALID_INPUT'
  /** The record id was used before for a different record: records are never rewritten. */
  | 'CONFLICT'
  /** A stored record does not have the shape this code writes. */
  | 'CORRUPT_RECORD'
  /** Table storage failed or could not be reached. */
  | 'STORAGE';

/** An audit trail failure, with a stable code. */
export class AuditTrailError extends CourierError<AuditTrailErrorCode> {}
