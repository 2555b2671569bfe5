import type { HidConnection } from '../../station/transport/hid-connection.ts';
import { TransportError } from '../../station/transport/transport-error.ts';

/**
 * A HidConnection that plays back captured reports: each report the host writes is passed to
 * `answer`, and the reports it returns are what the "device" sends back. Keeps what was written.
 */
export class ReplayConnection implements HidConnection {
  readonly reportSize = 64;
  readonly label = 'replay';
  readonly written: Uint8Array[] = [];
  private readonly pending: Uint8Array[] = [];
  private waiting: ((report: Uint8Array) => void) | undefined;
  private readonly answer: (report: Uint8Array) => Uint8Array[];

  constructor(answer: (report: Uint8Array) => Uint8Array[]) {
    this.answer = answer;
  }

  write(report: Uint8Array): Promise<void> {
    this.written.push(new Uint8Array(report));
    for (const reply of this.answer(report)) {
      if (this.waiting) {
        const resolve = this.waiting;
        this.waiting = undefined;
        resolve(reply);
      } else this.pending.push(reply);
    }
    return Promise.resolve();
  }

  read(options: { timeoutMs: number }): Promise<Uint8Array> {
    const next = this.pending.shift();
    if (next) return Promise.resolve(next);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        reject(new TransportError('TIMEOUT', 'replay: nothing more to play back'));
      }, options.timeoutMs);
      this.waiting = (report) => {
        clearTimeout(timer);
        resolve(report);
      };
    });
  }

  discardPending(): void {
    this.pending.length = 0;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
