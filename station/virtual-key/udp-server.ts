import { createSocket, type Socket } from 'node:dgram';
import type { VirtualKey } from './virtual-key.ts';

export interface UdpServerOptions {
  /** Default 8111, the HID-over-UDP simulator convention. */
  port?: number;
  /** Loopback by default; the key is test equipment and must not be reachable from elsewhere. */
  host?: string;
}

export interface UdpServer {
  readonly host: string;
  readonly port: number;
  /** Resolves once the socket follows the key's last remove or replug. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Serves a software key over HID-over-UDP: one 64-byte report per datagram, each answer sent to
 * the address the request came from. Removing the key closes the socket (hosts then get "port
 * unreachable", as if the USB device vanished); re-plugging binds it again.
 */
export async function serveVirtualKeyOverUdp(
  key: VirtualKey,
  options: UdpServerOptions = {},
): Promise<UdpServer> {
  const host = options.host ?? '127.0.0.1';
  let port = options.port ?? 8111;
  let socket: Socket | undefined;
  let closed = false;

  const bind = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const next = createSocket({
        type: host.includes(':') ? 'udp6' : 'udp4',
        // Answers go to the numeric address a report came from: skip the resolver's extra tick.
        lookup: (address, _family, callback) => callback(null, address, host.includes(':') ? 6 : 4),
      });
      next.on('message', (message, remote) => {
        // Datagrams that are not one report (e.g. a host's empty liveness probe) are ignored.
        if (message.length !== 64) return;
        key.receive(new Uint8Array(message), (report) => {
          if (socket === next) next.send(report, remote.port, remote.address);
        });
      });
      next.once('error', reject);
      next.bind(port, host, () => {
        next.off('error', reject);
        next.on('error', () => undefined);
        port = next.address().port;
        socket = next;
        resolve();
      });
    });

  const unbind = (): Promise<void> =>
    new Promise((resolve) => {
      const current = socket;
      socket = undefined;
      if (!current) return resolve();
      current.close(() => resolve());
    });

  // A replug is a remove and an insert in the same tick: the socket then stays open (the hosts'
  // channels are gone anyway). A removal that lasts closes it; operations run in order.
  let pending = Promise.resolve();
  let unbindScheduled: NodeJS.Immediate | undefined;
  const onRemoved = (): void => {
    unbindScheduled = setImmediate(() => {
      unbindScheduled = undefined;
      pending = pending.then(unbind);
    });
  };
  const onInserted = (): void => {
    if (unbindScheduled) {
      clearImmediate(unbindScheduled);
      unbindScheduled = undefined;
      return;
    }
    pending = pending.then(() => (closed || socket ? undefined : bind())).catch(() => undefined);
  };
  key.on('removed', onRemoved);
  key.on('inserted', onInserted);
  await bind();
  return {
    host,
    get port() {
      return port;
    },
    async settled(): Promise<void> {
      await new Promise((resolve) => setImmediate(resolve));
      await pending;
    },
    async close(): Promise<void> {
      closed = true;
      if (unbindScheduled) clearImmediate(unbindScheduled);
      key.off('removed', onRemoved);
      key.off('inserted', onInserted);
      await pending;
      await unbind();
    },
  };
}
