import type { Context, Middleware } from '@microsoft/microsoft-graph-client';
import { GraphError } from './graph-error.ts';
import { systemRetryClock, type RetryClock } from './retry-clock.ts';

export interface RetryPolicy {
  /** Attempts in all, the first included. Default 6. */
  maxAttempts: number;
  /** First backoff step. Default 500 ms. */
  baseDelayMs: number;
  /** Longest single backoff (Retry-After may ask for more, and wins). Default 30 s. */
  maxDelayMs: number;
  /** Total budget for one call, retries included. Default 120 s. */
  deadlineMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 6,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  deadlineMs: 120_000,
};

export interface RetryObserver {
  /** Called before each wait, e.g. for logs and benchmarks. */
  onRetry?(event: {
    attempt: number;
    status: number | undefined;
    delayMs: number;
    retryAfterMs: number | undefined;
    url: string;
  }): void;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

/**
 * Retries throttling and transient failures the way Microsoft Graph asks: on 429, 503 and 504,
 * wait at least Retry-After (never send earlier), otherwise back off exponentially with jitter,
 * within a total deadline. A POST is retried only on 429, the one answer Graph documents as "not
 * done" (throttling-limits: the request was not processed). A 503 or 504 can come after Graph
 * committed the write (nothing documents otherwise), and a connection broken after sending is the
 * same: the outcome is unknown, so it is handed back for the caller to reconcile, never resent.
 */
export class RetryMiddleware implements Middleware {
  private next: Middleware | undefined;
  private readonly policy: RetryPolicy;
  private readonly clock: RetryClock;
  private readonly observer: RetryObserver;
  /**
   * Graph throttles the app, not one request: after a Retry-After, no request of this gateway goes
   * out before it has passed, not only the one that was refused.
   */
  private notBefore = 0;

  constructor(
    policy: Partial<RetryPolicy> = {},
    clock: RetryClock = systemRetryClock,
    observer: RetryObserver = {},
  ) {
    this.policy = { ...DEFAULT_RETRY_POLICY, ...policy };
    this.clock = clock;
    this.observer = observer;
  }

  setNext(next: Middleware): void {
    this.next = next;
  }

  async execute(context: Context): Promise<void> {
    if (!this.next) throw new Error('RetryMiddleware needs a next middleware.');
    const method = (context.options?.method ?? 'GET').toUpperCase();
    const url = typeof context.request === 'string' ? context.request : context.request.url;
    const started = this.clock.now();
    for (let attempt = 1; ; attempt++) {
      let status: number | undefined;
      let retryAfterMs: number | undefined;
      let failure: GraphError | undefined;
      const wait = this.notBefore - this.clock.now();
      if (wait > 0) await this.clock.sleep(wait);
      try {
        await this.next.execute(context);
        status = context.response?.status;
        if (status === undefined) return;
        // Retry-After holds the whole gateway back, even when this request is not retried.
        retryAfterMs = parseRetryAfter(
          context.response!.headers.get('retry-after'),
          this.clock.now(),
        );
        if (retryAfterMs !== undefined)
          this.notBefore = Math.max(this.notBefore, this.clock.now() + retryAfterMs);
        if (!retryable(method, status)) return;
      } catch (error) {
        const unknownOutcome = error instanceof GraphError && error.outcomeUnknown;
        if (
          !(error instanceof GraphError) ||
          error.code !== 'NETWORK' ||
          (unknownOutcome && !IDEMPOTENT.has(method))
        )
          throw error;
        failure = error;
      }
      const delayMs = Math.max(retryAfterMs ?? 0, this.backoff(attempt));
      if (!this.canWait(attempt, started, delayMs)) {
        // Out of budget: the last answer (or failure) goes to the caller, which turns it into an error.
        if (failure) throw failure;
        return;
      }
      this.observer.onRetry?.({ attempt, status, delayMs, retryAfterMs, url });
      await this.clock.sleep(delayMs);
    }
  }

  /** Exponential backoff with "equal jitter": half fixed, half random, capped. */
  private backoff(attempt: number): number {
    const ceiling = Math.min(this.policy.maxDelayMs, this.policy.baseDelayMs * 2 ** (attempt - 1));
    return Math.round(ceiling / 2 + this.clock.random() * (ceiling / 2));
  }

  private canWait(attempt: number, started: number, delayMs: number): boolean {
    return (
      attempt < this.policy.maxAttempts &&
      this.clock.now() + delayMs - started <= this.policy.deadlineMs
    );
  }
}

function retryable(method: string, status: number): boolean {
  if (status === 429) return true;
  return (status === 503 || status === 504) && IDEMPOTENT.has(method);
}

/** Retry-After in seconds or as an HTTP date (RFC 9110 §10.2.3); undefined when absent or garbled. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
