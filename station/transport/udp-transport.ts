import { createSocket, type Socket } from 'node:dgram';
import type { HidConnection } from './hid-connection.ts';
import { ReportQueue } from './report-queue.ts';
import { TransportError } from './transport-error.ts';

export interface UdpConnectionOptions {
  /** Where the key listens. Default 127.0.0.1. */
  host?: string;
  /** Default 8111, the HID-over-UDP simulator convention. */
  port?: number;
  /** Our port; the convention's 7112, or 0 (default) for any free port so several hosts can coexist. */
  localPort?: number;
  reportSize?: number;
}

/**
 * HID over UDP, the convention of open-source authenticator simulators: one datagram per 64-byte
 * report, no report-id byte, no other framing. The socket is connected, so the kernel's "port
 * unreachable" (a key that was removed or never started) surfaces as DEVICE_REMOVED.
 */
export async function openUdpConnection(
  options: UdpConnectionOptions = {},
): Promise<HidConnection> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 8111;
  const reportSize = options.reportSize ?? 64;
  const label = `udp:${host}:${port}`;
  const socket: Socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  const queue = new ReportQueue();
  // Each datagram gets a Buffer of its own, so it can be handed on without a copy.
  socket.on('message', (message) => queue.push(message));
  socket.on('error', (error: NodeJS.ErrnoException) => {
    queue.fail(
      error.code === 'ECONNREFUSED'
        ? new TransportError(
            'DEVICE_REMOVED',
            `Nothing answers at ${label}: the key was removed or is not running.`,
            { cause: error },
          )
        : new TransportError(
            'DEVICE_REMOVED',
            `The UDP link to ${label} failed: ${error.message}`,
            { cause: error },
          ),
    );
  });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(options.localPort ?? 0, host.includes(':') ? '::1' : '127.0.0.1', () => {
        socket.connect(port, host, () => {
          socket.off('error', reject);
          resolve();
        });
      });
    });
  } catch (cause) {
    socket.close();
    throw new TransportError(
      'OPEN_FAILED',
      `Could not open a UDP socket towards ${label}: ${(cause as Error).message}`,
      { cause },
    );
  }
  let closed = false;
  const send = (data: Uint8Array): Promise<void> =>
    new Promise((resolve, reject) => {
      socket.send(data, (error) => {
        if (error)
          reject(
            new TransportError('DEVICE_REMOVED', `Could not send to ${label}: ${error.message}`, {
              cause: error,
            }),
          );
        else resolve();
      });
    });
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
      // Datagrams leave in order, and a failure (port unreachable) arrives as an 'error' event that
      // fails the queue, so the next read reports it. Waiting for each send's callback would cost
      // an event-loop turn per report.
      socket.send(report);
      return Promise.resolve();
    },
    read: (readOptions) => queue.read(label, readOptions),
    subscribe: (listener) => queue.subscribe(listener),
    // Silence is ambiguous over UDP: a key that waits for a touch still sends keepalives, so a
    // silent one is either stuck or gone. An empty datagram (simulators ignore it) tells which:
    // a closed port answers with ICMP "unreachable", which fails the queue.
    async probe(): Promise<void> {
      if (closed || queue.failed) return;
      await send(new Uint8Array(0)).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 50));
    },
    discardPending: () => queue.clear(),
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      queue.fail(new TransportError('CLOSED', `The connection to ${label} is closed.`));
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  };
}
