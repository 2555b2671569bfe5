import type { InMemoryHidDevice } from '../transport/in-memory-transport.ts';
import { openInMemoryConnection } from '../transport/in-memory-transport.ts';
import { openNodeHidConnection } from '../transport/node-hid-transport.ts';
import { openUdpConnection } from '../transport/udp-transport.ts';
import type { KeySlot } from './key-slot.ts';

/** The port HID-over-UDP simulators of other vendors' firmware answer to (only to this one). */
export const DEFAULT_UDP_LOCAL_PORT = 7112;

/** A USB security key, by its HID path. */
export function hidSlot(path: string): KeySlot {
  return { port: `usb ${path}`, connect: () => openNodeHidConnection(path) };
}

/**
 * A key over HID-over-UDP. The station binds 127.0.0.1:7112 by default, as the simulators
 * expect; `localPort: 0` takes any free port (needed for several UDP keys at once).
 */
export function udpSlot(options: { host?: string; port: number; localPort?: number }): KeySlot {
  const host = options.host ?? '127.0.0.1';
  return {
    port: `udp ${host}:${options.port}`,
    connect: () =>
      openUdpConnection({
        host,
        port: options.port,
        localPort: options.localPort ?? DEFAULT_UDP_LOCAL_PORT,
      }),
  };
}

/** A software key in this process. */
export function memorySlot(device: InMemoryHidDevice, label: string): KeySlot {
  return { port: label, connect: () => Promise.resolve(openInMemoryConnection(device)) };
}
