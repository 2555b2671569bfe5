import { DEFAULT_UDP_LOCAL_PORT, hidSlot, udpSlot } from '../provision/key-slots.ts';
import type { KeySlot } from '../provision/key-slot.ts';
import { listFidoDevices } from '../transport/node-hid-transport.ts';
import { CourierError } from '../../core/courier-error.ts';
import { usbAdvice } from './usb-guidance.ts';

export class KeySourceError extends CourierError<'USAGE' | 'NO_USB'> {}

export interface KeySourceOptions {
  /** HOST:PORT of HID-over-UDP keys (simulators, software keys); none means USB. */
  udp: string[];
  /** The station's own UDP port (default 7112, as simulators expect; 0 = any free port). */
  udpLocalPort: number | undefined;
}

/** Slots for the --udp keys; USB keys are found by watching (watchUsb). */
export function udpSlots(options: KeySourceOptions): KeySlot[] {
  if (options.udp.length > 1 && (options.udpLocalPort ?? DEFAULT_UDP_LOCAL_PORT) !== 0) {
    throw new KeySourceError(
      'USAGE',
      `Several UDP keys cannot share the station's UDP port ${options.udpLocalPort ?? DEFAULT_UDP_LOCAL_PORT}: add --udp-local-port 0.`,
    );
  }
  return options.udp.map((address) => {
    const match = /^(?:udp:\/\/)?(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(address);
    if (!match || Number(match[2]) > 65535) {
      throw new KeySourceError(
        'USAGE',
        `--udp takes HOST:PORT (e.g. 127.0.0.1:8111), got "${address}".`,
      );
    }
    return udpSlot({
      host: match[1]!.replace(/^\[|\]$/g, ''),
      port: Number(match[2]),
      ...(options.udpLocalPort === undefined ? {} : { localPort: options.udpLocalPort }),
    });
  });
}

/**
 * Watches USB for FIDO keys, calling `plugged` once per key as it appears (a key unplugged and
 * plugged back in appears again). Fails with the exact fix when USB cannot be reached at all.
 */
export async function watchUsb(
  plugged: (slot: KeySlot) => void,
  signal: AbortSignal,
): Promise<void> {
  const seen = new Set<string>();
  for (;;) {
    if (signal.aborted) return;
    let paths: string[];
    try {
      paths = (await listFidoDevices()).map((d) => d.path);
    } catch (error) {
      throw new KeySourceError('NO_USB', usbAdvice(error), { cause: error });
    }
    for (const path of paths) {
      if (!seen.has(path)) {
        seen.add(path);
        plugged(hidSlot(path));
      }
    }
    for (const path of [...seen]) if (!paths.includes(path)) seen.delete(path);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}
