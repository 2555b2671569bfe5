import type { HidConnection } from './hid-connection.ts';
import { ReportQueue } from './report-queue.ts';
import { TransportError } from './transport-error.ts';

/** The host's side of an in-process device: how the device reaches this connection. */
export interface InMemoryHost {
  deliver(report: Uint8Array): void;
  removed(): void;
}

/** A device that lives in the same process (the software key) and accepts host attachments. */
export interface InMemoryHidDevice {
  readonly label: string;
  /** Attaches a host; throws TransportError NO_DEVICE when the device is unplugged. */
  attach(host: InMemoryHost): { send(report: Uint8Array): void; detach(): void };
}

/**
 * A HidConnection to a device in the same process. Reports cross asynchronously, as they would
 * over USB, so timing-dependent logic (keepalives, cancel) behaves the same as on hardware.
 */
export function openInMemoryConnection(device: InMemoryHidDevice, reportSize = 64): HidConnection {
  const queue = new ReportQueue();
  const label = `memory:${device.label}`;
  const port = device.attach({
    deliver: (report) => queue.push(new Uint8Array(report)),
    removed: () =>
      queue.fail(new TransportError('DEVICE_REMOVED', `The key at ${label} was removed.`)),
  });
  let closed = false;
  return {
    reportSize,
    label,
    write(report: Uint8Array): Promise<void> {
      if (closed)
        return Promise.reject(
          new TransportError('CLOSED', `The connection to ${label} is closed.`),
        );
      if (queue.failed) return Promise.reject(queue.failed);
      if (report.length !== reportSize) {
        return Promise.reject(
          new RangeError(`Reports are ${reportSize} bytes, got ${report.length}.`),
        );
      }
      const copy = new Uint8Array(report);
      setImmediate(() => port.send(copy));
      return Promise.resolve();
    },
    read: (options) => queue.read(label, options),
    subscribe: (listener) => queue.subscribe(listener),
    discardPending: () => queue.clear(),
    close(): Promise<void> {
      if (!closed) {
        closed = true;
        port.detach();
        queue.fail(new TransportError('CLOSED', `The connection to ${label} is closed.`));
      }
      return Promise.resolve();
    },
  };
}
