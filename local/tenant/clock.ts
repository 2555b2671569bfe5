/**
 * The tenant's notion of "now", in milliseconds since the epoch. Tests inject one to expire
 * challenges, device codes and tokens without waiting; everything time-dependent in the tenant
 * (token claims, challenge expiry, throttling refill) reads it, never Date.now directly.
 */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();

/** A clock that only moves when told to, for tests. */
export interface ManualClock {
  now: Clock;
  advance(milliseconds: number): void;
  set(epochMilliseconds: number): void;
}

export function manualClock(start: number | Date = Date.now()): ManualClock {
  let current = typeof start === 'number' ? start : start.getTime();
  return {
    now: () => current,
    advance(milliseconds) {
      current += milliseconds;
    },
    set(epochMilliseconds) {
      current = epochMilliseconds;
    },
  };
}
