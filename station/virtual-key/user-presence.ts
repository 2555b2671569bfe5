import { EventEmitter } from 'node:events';

/**
 * How the software key's "button" behaves:
 * - immediate: every request for presence is granted at once (the default; like a test rig);
 * - delay: granted after `delayMs`, as if a person reached for the key;
 * - never: nobody touches it, so requests time out;
 * - on-demand: granted only by touch() (stdin `touch`, or the in-process method).
 */
export type UserPresenceMode =
  | { kind: 'immediate' }
  | { kind: 'delay'; delayMs: number }
  | { kind: 'never' }
  | { kind: 'on-demand' };

export type PresenceOutcome = 'present' | 'timeout' | 'cancelled';

/**
 * The key's touch sensor. Only one request is pending at a time; a touch counts only while a
 * request is pending (when a real key blinks). Emits 'waiting' and 'settled' so a driver can react.
 */
export class UserPresence extends EventEmitter<{ waiting: []; settled: [PresenceOutcome] }> {
  mode: UserPresenceMode;
  timeoutMs: number;
  private pending: ((outcome: PresenceOutcome) => void) | undefined;

  constructor(mode: UserPresenceMode, timeoutMs: number) {
    super();
    this.mode = mode;
    this.timeoutMs = timeoutMs;
  }

  get waiting(): boolean {
    return this.pending !== undefined;
  }

  /** Waits for presence per the mode; resolves 'cancelled' when `signal` aborts. */
  request(signal: AbortSignal): Promise<PresenceOutcome> {
    if (signal.aborted) return Promise.resolve('cancelled');
    if (this.mode.kind === 'immediate') return Promise.resolve('present');
    return new Promise((resolve) => {
      const timers: NodeJS.Timeout[] = [];
      const finish = (outcome: PresenceOutcome): void => {
        if (this.pending !== settle) return;
        this.pending = undefined;
        for (const timer of timers) clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.emit('settled', outcome);
        resolve(outcome);
      };
      const settle = finish;
      const onAbort = (): void => finish('cancelled');
      this.pending?.('cancelled');
      this.pending = settle;
      signal.addEventListener('abort', onAbort, { once: true });
      timers.push(setTimeout(() => finish('timeout'), this.timeoutMs));
      if (this.mode.kind === 'delay')
        timers.push(setTimeout(() => finish('present'), this.mode.delayMs));
      this.emit('waiting');
    });
  }

  /** The person touches the key. Returns false when nothing was waiting for it. */
  touch(): boolean {
    if (!this.pending) return false;
    this.pending('present');
    return true;
  }

  /** Power loss: a pending request ends as cancelled. */
  cancelPending(): void {
    this.pending?.('cancelled');
  }
}
