import type { ReportListener } from './hid-connection.ts';
import { ReusableTimer } from './reusable-timer.ts';
import { TransportError } from './transport-error.ts';

interface Waiter {
  label: string;
  timeoutMs: number;
  resolve: (report: Uint8Array) => void;
  reject: (error: Error) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/**
 * Buffers reports that arrive from a device (event-driven backends: node-hid, UDP, in-memory)
 * until the CTAPHID layer reads them, with a per-read timeout and abort, and a terminal failure
 * (device removed) that reaches the pending and every later read at once: never a hang.
 *
 * One reader at a time (CtapHidDevice serialises its exchanges).
 */
export class ReportQueue {
  private readonly reports: Uint8Array[] = [];
  private waiter: Waiter | undefined;
  private listener: ReportListener | undefined;
  private failure: TransportError | undefined;
  private readonly limit: number;
  private readonly timer = new ReusableTimer(() => this.expire());

  constructor(limit = 1024) {
    this.limit = limit;
  }

  push(report: Uint8Array): void {
    if (this.failure) return;
    if (this.listener) {
      this.listener.report(report);
      return;
    }
    const waiter = this.waiter;
    if (waiter) {
      this.settle();
      waiter.resolve(report);
      return;
    }
    // A device flooding us must not grow memory without bound; the oldest reports go first.
    if (this.reports.length >= this.limit) this.reports.shift();
    this.reports.push(report);
  }

  /** Ends the queue: the pending and later reads reject with `error`. The first failure wins. */
  fail(error: TransportError): void {
    if (this.failure) return;
    this.failure = error;
    this.reports.length = 0;
    const waiter = this.waiter;
    this.settle();
    this.timer.dispose();
    waiter?.reject(error);
    this.listener?.failed(error);
  }

  /** Push mode (see HidConnection.subscribe); reports already queued are delivered first. */
  subscribe(listener: ReportListener): () => void {
    if (this.waiter || this.listener)
      throw new Error('One reader at a time: a read or subscription is active.');
    this.listener = listener;
    const failure = this.failure;
    const queued = this.reports.splice(0);
    // Delivered on the next microtask, so the subscriber is fully set up first.
    queueMicrotask(() => {
      if (this.listener !== listener) return;
      if (failure) listener.failed(failure);
      else for (const report of queued) listener.report(report);
    });
    return () => {
      if (this.listener === listener) this.listener = undefined;
    };
  }

  get failed(): TransportError | undefined {
    return this.failure;
  }

  clear(): void {
    this.reports.length = 0;
  }

  read(label: string, options: { timeoutMs: number; signal?: AbortSignal }): Promise<Uint8Array> {
    if (this.failure) return Promise.reject(this.failure);
    const queued = this.reports.shift();
    if (queued) return Promise.resolve(queued);
    const { signal, timeoutMs } = options;
    if (signal?.aborted) return Promise.reject(cancelled(label, signal));
    if (this.waiter)
      return Promise.reject(new Error(`Concurrent reads from ${label}: one exchange at a time.`));
    return new Promise<Uint8Array>((resolve, reject) => {
      const waiter: Waiter = { label, timeoutMs, resolve, reject, signal, onAbort: undefined };
      if (signal) {
        waiter.onAbort = () => {
          if (this.waiter !== waiter) return;
          this.settle();
          reject(cancelled(label, signal));
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.waiter = waiter;
      this.timer.start(timeoutMs);
    });
  }

  private expire(): void {
    const waiter = this.waiter;
    if (!waiter) return;
    this.settle();
    waiter.reject(
      new TransportError(
        'TIMEOUT',
        `No report from ${waiter.label} within ${waiter.timeoutMs} ms.`,
      ),
    );
  }

  /** Detaches the current waiter and stops its timer. */
  private settle(): void {
    const waiter = this.waiter;
    if (!waiter) return;
    this.waiter = undefined;
    if (waiter.onAbort) waiter.signal?.removeEventListener('abort', waiter.onAbort);
    this.timer.stop();
  }
}

function cancelled(label: string, signal: AbortSignal): TransportError {
  return new TransportError('CANCELLED', `Read from ${label} cancelled.`, { cause: signal.reason });
}
