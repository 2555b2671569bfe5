import type { RequestState } from '../../core/request/request-state.ts';

/**
 * The orchestration's custom status: where the request is, for the durable status API and for
 * support. Never a secret: no PIN, no envelope, no challenge.
 */
export interface RequestStatus {
  requestId: string;
  state: RequestState;
  keyClass: string;
  /** Programming attempts so far (failed keys, lost stations, refused registrations). */
  attempts: number;
  /** How many people may decide (a count: a fallback group can have hundreds of members). */
  approverCount?: number;
  approvalDeadline?: string;
  reminders?: number;
  escalated?: boolean;
  decidedBy?: string;
  methodId?: string;
  serial?: number;
  pinChangeConfirmed?: boolean;
  trackingNumber?: string;
  deliveryDeadline?: string;
  deliveryConfirmed?: boolean;
  /** Why the request ended, when it has. */
  reason?: string;
}
