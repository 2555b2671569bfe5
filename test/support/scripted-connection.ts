import type { HidConnection, ReportListener } from '../../station/transport/hid-connection.ts';
import { ReportQueue } from '../../station/transport/report-queue.ts';
import { TransportError } from '../../station/transport/transport-error.ts';

/**
 * A HidConnection whose "device" is a test script: every report the host writes goes to
 * `onWrite`, which may answer with `deliver`. For host-side tests of what real keys do wrong.
 */
export class ScriptedConnection implements HidConnection {
  readonly reportSize = 64;
  readonly label = 'scripted';
  readonly written: Uint8Array[] = [];
  private readonly queue = new ReportQueue();
  private readonly onWrite: (report: Uint8Array, connection: ScriptedConnection) => void;

  constructor(onWrite: (report: Uint8Array, connection: ScriptedConnection) => void) {
    this.onWrite = onWrite;
  }

  deliver(report: Uint8Array): void {
    const padded = new Uint8Array(64);
    padded.set(report.subarray(0, 64));
    this.queue.push(report.length === 64 ? report : padded);
  }

  /** Delivers a report of any length, as a broken device might. */
  deliverRaw(report: Uint8Array): void {
    this.queue.push(report);
  }

  unplug(): void {
    this.queue.fail(new TransportError('DEVICE_REMOVED', 'scripted device unplugged'));
  }

  write(report: Uint8Array): Promise<void> {
    if (this.queue.failed) return Promise.reject(this.queue.failed);
    this.written.push(new Uint8Array(report));
    queueMicrotask(() => this.onWrite(report, this));
    return Promise.resolve();
  }

  read(options: { timeoutMs: number; signal?: AbortSignal }): Promise<Uint8Array> {
    return this.queue.read(this.label, options);
  }

  subscribe(listener: ReportListener): () => void {
    return this.queue.subscribe(listener);
  }

  discardPending(): void {
    this.queue.clear();
  }

  close(): Promise<void> {
    this.queue.fail(new TransportError('CLOSED', 'closed'));
    return Promise.resolve();
  }
}

/**
 * The INIT answer a device gives, on the channel the request came on: nonce ‖ cid ‖ protocol 2 ‖
 * version 5.7.4 ‖ capabilities.
 */
export function initResponse(request: Uint8Array, cid: number, capabilities = 0x0d): Uint8Array {
  const report = new Uint8Array(64);
  const view = new DataView(report.buffer);
  report.set(request.subarray(0, 4));
  report[4] = 0x86;
  view.setUint16(5, 17);
  report.set(request.subarray(7, 15), 7);
  view.setUint32(15, cid);
  report.set([2, 5, 7, 4, capabilities], 19);
  return report;
}

/** One init packet on `cid` carrying `command` with `payload` (≤ 57 bytes). */
export function packet(cid: number, command: number, payload: Uint8Array): Uint8Array {
  const report = new Uint8Array(64);
  const view = new DataView(report.buffer);
  view.setUint32(0, cid);
  report[4] = 0x80 | command;
  view.setUint16(5, payload.length);
  report.set(payload, 7);
  return report;
}
