import type { HidConnection, ReportListener } from '../../station/transport/hid-connection.ts';
import { ReportQueue } from '../../station/transport/report-queue.ts';
import { TransportError } from '../../station/transport/transport-error.ts';

/**
 * A HidConnection that plays back captured reports: each report the host writes is passed to
 * `answer`, and the reports it returns are what the "device" sends back. Keeps what was written.
 */
export class ReplayConnection implements HidConnection {
  readonly reportSize = 64;
  readonly label = 'replay';
  readonly written: Uint8Array[] = [];
  private readonly queue = new ReportQueue();
  private readonly answer: (report: Uint8Array) => Uint8Array[];

  constructor(answer: (report: Uint8Array) => Uint8Array[]) {
    this.answer = answer;
  }

  write(report: Uint8Array): Promise<void> {
    this.written.push(new Uint8Array(report));
    const replies = this.answer(report);
    queueMicrotask(() => {
      for (const reply of replies) this.queue.push(reply);
    });
    return Promise.resolve();
  }

  read(options: { timeoutMs: number }): Promise<Uint8Array> {
    return this.queue.read(this.label, options);
  }

  subscribe(listener: ReportListener): () => void {
    return this.queue.subscribe(listener);
  }

  discardPending(): void {
    this.queue.clear();
  }

  close(): Promise<void> {
    this.queue.fail(new TransportError('CLOSED', 'replay closed'));
    return Promise.resolve();
  }
}
