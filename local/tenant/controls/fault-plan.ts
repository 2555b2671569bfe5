import { createHash } from 'node:crypto';

export interface FaultSettings {
  /** Fraction (0..1) of Graph requests answered with an injected 5xx instead of being handled. */
  errorRate?: number;
  /** Statuses to inject, picked in turn by the seeded generator (default 503). */
  statuses?: number[];
  /** Retry-After (seconds) on injected 503s and 429s, like Graph's; none when absent. */
  retryAfterSeconds?: number;
  /** Added delay in ms before each Graph request is handled: fixed, or a seeded range. */
  latencyMs?: number | { min: number; max: number };
  /** Seed of the generator, so a run's faults repeat exactly. */
  seed?: string;
  /** The next N fido2Methods POSTs are committed, then the connection is reset (outcome unknown). */
  resetAfterCommit?: number;
  /**
   * The next fido2Methods POSTs that commit (the method exists) are answered, in turn, with these
   * instead of 201: a 503 or 504 from the front end, or a dropped connection. Graph documents no
   * such thing, and nothing says it cannot happen.
   */
  afterCommit?: AfterCommitFault[];
  /** The next N fido2Methods POSTs get a reset connection without being handled. */
  resetBeforeCommit?: number;
}

export type AfterCommitFault = 503 | 504 | 'reset';

/**
 * Injected faults for Graph: 5xx at a rate, latency, and connection resets around a
 * registration. Every random choice comes from a generator seeded by `seed` (SHA-256 in counter
 * mode), so the same settings give the same faults in the same order on every run.
 */
export class FaultPlan {
  readonly settings: Readonly<FaultSettings>;
  private counter = 0;
  private resetsAfter: number;
  private resetsBefore: number;
  private readonly afterCommit: AfterCommitFault[];

  constructor(settings: FaultSettings = {}) {
    this.settings = { ...settings };
    this.afterCommit = [...(settings.afterCommit ?? [])];
    this.resetsAfter = settings.resetAfterCommit ?? 0;
    this.resetsBefore = settings.resetBeforeCommit ?? 0;
  }

  /** A status to answer instead of handling the request, or undefined. */
  injectedStatus(): number | undefined {
    const rate = this.settings.errorRate ?? 0;
    if (rate <= 0) return undefined;
    if (this.next() >= rate) return undefined;
    const statuses = this.settings.statuses?.length ? this.settings.statuses : [503];
    return statuses[Math.floor(this.next() * statuses.length)]!;
  }

  latencyMs(): number {
    const latency = this.settings.latencyMs;
    if (latency === undefined) return 0;
    if (typeof latency === 'number') return latency;
    return Math.round(latency.min + this.next() * (latency.max - latency.min));
  }

  takeResetBeforeCommit(): boolean {
    if (this.resetsBefore <= 0) return false;
    this.resetsBefore -= 1;
    return true;
  }

  /** How to answer a POST that has just committed, or undefined for the real 201. */
  takeAfterCommit(): AfterCommitFault | undefined {
    if (this.resetsAfter > 0) {
      this.resetsAfter -= 1;
      return 'reset';
    }
    return this.afterCommit.shift();
  }

  /** Uniform in [0, 1). */
  private next(): number {
    const digest = createHash('sha256')
      .update(`${this.settings.seed ?? 'passkey-courier'}:${this.counter++}`)
      .digest();
    return digest.readUInt32BE(0) / 0x1_0000_0000;
  }
}

/** Graph's error code for an injected status. */
export function faultCode(status: number): string {
  switch (status) {
    case 500:
      return 'generalException';
    case 502:
      return 'badGateway';
    case 503:
      return 'serviceNotAvailable';
    case 504:
      return 'gatewayTimeout';
    default:
      return 'UnknownError';
  }
}
