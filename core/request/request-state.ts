/**
 * Where a key request is in its life (docs/design.md §2.1). One durable orchestration per request moves
 * it along; every transition is written to the audit trail.
 */
export const RequestState = {
  Requested: 'Requested',
  AwaitingApproval: 'AwaitingApproval',
  AwaitingStation: 'AwaitingStation',
  Programming: 'Programming',
  Registered: 'Registered',
  Shipped: 'Shipped',
  PinReleased: 'PinReleased',
  Completed: 'Completed',
  /** Rejected, expired without approval, or cancelled before a key existed. */
  Closed: 'Closed',
  /** The Graph method was deleted: never confirmed in time, reported lost, or cancelled. */
  Revoked: 'Revoked',
  /** The tenant's policy refused the registration; the reason is in the status. */
  Failed: 'Failed',
} as const;

export type RequestState = (typeof RequestState)[keyof typeof RequestState];

/** States from which nothing further happens. */
export const TERMINAL_STATES: ReadonlySet<RequestState> = new Set([
  RequestState.Completed,
  RequestState.Closed,
  RequestState.Revoked,
  RequestState.Failed,
]);

export const RequestReason = {
  NewHire: 'new-hire',
  Lost: 'lost',
  Broken: 'broken',
  Backup: 'backup',
} as const;

export type RequestReason = (typeof RequestReason)[keyof typeof RequestReason];
