import { CourierError } from '../../core/courier-error.ts';

export type JobQueueErrorCode =
  /** No job with that id. */
  | 'NOT_FOUND'
  /** Another station holds the job, or a step repeated with different data than the first time. */
  | 'CONFLICT'
  /** The caller's lease expired, was released, or now belongs to another station. */
  | 'LEASE_LOST'
  /** The step does not apply to the job's state (e.g. shipping before forcePINChange). */
  | 'INVALID_STATE'
  /** An argument failed validation (ids, lease length, options). */
  | 'INVALID_INPUT'
  /** Pre-fetched creation options too large to store in one table entity. */
  | 'OPTIONS_TOO_LARGE'
  /** A stored job does not have the shape this code writes. */
  | 'CORRUPT_RECORD'
  /** Table storage failed or could not be reached. */
  | 'STORAGE';

/** A station job queue failure, with a stable code the station API maps to its answers. */
export class JobQueueError extends CourierError<JobQueueErrorCode> {}
