export interface ThrottleSettings {
  /** Requests that may arrive at once (the burst). */
  capacity: number;
  /** Requests per second refilled. */
  refillPerSecond: number;
}

export type TakeResult = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/**
 * A token bucket, the usual model of Graph's throttling: each request takes a token, tokens
 * refill at a steady rate up to the capacity, an empty bucket answers 429 with Retry-After in
 * whole seconds (rounded up, never 0), the time until a token is back. Time is the caller's, so
 * tests drive it with their clock.
 */
export class TokenBucket {
  readonly settings: ThrottleSettings;
  private tokens: number;
  private updatedAt: number;

  constructor(settings: ThrottleSettings, now: number) {
    this.settings = settings;
    this.tokens = settings.capacity;
    this.updatedAt = now;
  }

  take(now: number): TakeResult {
    const elapsed = Math.max(0, now - this.updatedAt) / 1000;
    this.tokens = Math.min(
      this.settings.capacity,
      this.tokens + elapsed * this.settings.refillPerSecond,
    );
    this.updatedAt = Math.max(now, this.updatedAt);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { allowed: true };
    }
    const seconds = (1 - this.tokens) / this.settings.refillPerSecond;
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(seconds)) };
  }
}
