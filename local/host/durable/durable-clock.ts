import { performance } from 'node:perf_hooks';

/**
 * The host's time for everything durable: OrchestratorStarted timestamps (the orchestrator's
 * currentUtcDateTime), timer fire times, created/updated times. Accelerated time runs `scale`
 * times faster than the wall clock, so one durable hour can pass in one real second.
 */
export interface DurableClock {
  /** Milliseconds since the epoch, in durable time. */
  now(): number;
  /** Calls back once durable time reaches `at` (at once if it has). Returns a cancel function. */
  wakeAt(at: number, callback: () => void): () => void;
}

// setTimeout takes at most 2^31-1 ms; longer waits are re-armed in steps.
const MAX_TIMEOUT = 2_147_483_647;

/**
 * Durable time = start + elapsed real time × scale. `start` is never before `notBefore`, so after a
 * restart time continues from where the persisted instances left it instead of jumping back to
 * the wall clock (with acceleration, durable time runs far ahead of it).
 */
export function scaledClock(scale: number, notBefore = 0): DurableClock {
  if (!(scale > 0) || !Number.isFinite(scale)) {
    throw new RangeError(`The time scale must be a positive number, got ${scale}.`);
  }
  const startDurable = Math.max(Date.now(), notBefore);
  const startReal = performance.now();
  const now = () => startDurable + (performance.now() - startReal) * scale;
  return {
    now,
    wakeAt(at, callback) {
      let handle: NodeJS.Timeout | undefined;
      let cancelled = false;
      const arm = () => {
        const remaining = (at - now()) / scale;
        if (remaining <= 0) {
          handle = undefined;
          if (!cancelled) callback();
          return;
        }
        // Round up so the callback never runs before `at`, then re-check (timers may fire early).
        handle = setTimeout(arm, Math.min(Math.ceil(remaining), MAX_TIMEOUT));
        handle.unref?.();
      };
      arm();
      return () => {
        cancelled = true;
        if (handle) clearTimeout(handle);
      };
    },
  };
}

/** A clock that moves only when told to: deterministic tests of timers and reminders. */
export interface ManualDurableClock extends DurableClock {
  /** Moves time forward and fires every wake-up that became due, in time order. */
  advance(milliseconds: number): void;
  set(epochMilliseconds: number): void;
}

export function manualDurableClock(start: number | Date): ManualDurableClock {
  let current = typeof start === 'number' ? start : start.getTime();
  let nextId = 0;
  const waiting = new Map<number, { at: number; callback: () => void }>();
  const fireDue = () => {
    for (;;) {
      let due: [number, { at: number; callback: () => void }] | undefined;
      for (const entry of waiting) {
        if (entry[1].at <= current && (!due || entry[1].at < due[1].at)) due = entry;
      }
      if (!due) return;
      waiting.delete(due[0]);
      due[1].callback();
    }
  };
  return {
    now: () => current,
    wakeAt(at, callback) {
      const id = nextId++;
      if (at <= current) {
        // Asynchronously, like a real timer, so callers never re-enter themselves.
        const handle = setImmediate(callback);
        return () => clearImmediate(handle);
      }
      waiting.set(id, { at, callback });
      return () => waiting.delete(id);
    },
    advance(milliseconds) {
      current += milliseconds;
      fireDue();
    },
    set(epochMilliseconds) {
      current = epochMilliseconds;
      fireDue();
    },
  };
}
