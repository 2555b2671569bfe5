/**
 * The rules of a notification's delivery lease, as pure functions of (the lease a pending row
 * holds, arguments, now). NotificationOutbox reads the row, applies one of these and writes back
 * under the row's ETag, so two deliverers (a queue message and the sweep, or two instances) never
 * deliver the same notification at once, and the rules are tested without storage.
 */

export interface DeliveryLease {
  leaseId: string;
  /** ISO time after which another deliverer may take the notification. */
  expiresAt: string;
}

export type LeaseDecision =
  /** The caller holds the notification until `lease.expiresAt`: write this lease. */
  | { kind: 'take'; lease: DeliveryLease }
  /** Another deliverer holds it; try again after `until` (the holder may have crashed). */
  | { kind: 'held'; until: string };

export function isLive(lease: DeliveryLease | undefined, now: number): boolean {
  return lease !== undefined && Date.parse(lease.expiresAt) > now;
}

/**
 * Takes the lease unless another deliverer holds a live one. A lapsed lease is taken over: its
 * holder crashed or overran, and the per-recipient delivery marks keep what it already sent from
 * being sent again.
 */
export function takeLease(
  current: DeliveryLease | undefined,
  claim: { newLeaseId: string; leaseMs: number },
  now: number,
): LeaseDecision {
  if (current && isLive(current, now)) return { kind: 'held', until: current.expiresAt };
  return {
    kind: 'take',
    lease: { leaseId: claim.newLeaseId, expiresAt: new Date(now + claim.leaseMs).toISOString() },
  };
}

/**
 * Whether `leaseId` may still act on the row: it is the lease the row holds. A lapsed lease that
 * nobody took over still counts (the holder's sends are done and marked); one taken over does not.
 */
export function holds(current: DeliveryLease | undefined, leaseId: string): boolean {
  return current?.leaseId === leaseId;
}
