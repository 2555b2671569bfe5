import { CtapHidDevice, type CtapHidDeviceOptions } from '../ctap/ctap-hid-device.ts';
import { Ctap2 } from '../ctap/ctap2.ts';
import type { HidConnection } from '../transport/hid-connection.ts';

/**
 * Where a key is plugged in: a USB port, a HID-over-UDP address, a software key in this process.
 * `connect` reaches whatever key is there now (and fails while none is), so a key can be unplugged
 * and plugged back in during a guided reset.
 */
export interface KeySlot {
  /** How prompts name the place: "usb 1-2.3", "udp 127.0.0.1:8111", … */
  readonly port: string;
  connect(): Promise<HidConnection>;
}

/** An open key in a slot: its CTAPHID channel and CTAP2 client. */
export interface OpenKey {
  slot: KeySlot;
  device: CtapHidDevice;
  ctap: Ctap2;
  close(): Promise<void>;
}

export async function openKey(slot: KeySlot, options: CtapHidDeviceOptions = {}): Promise<OpenKey> {
  const connection = await slot.connect();
  let device: CtapHidDevice;
  try {
    device = await CtapHidDevice.open(connection, options);
  } catch (error) {
    await connection.close().catch(() => undefined);
    throw error;
  }
  return {
    slot,
    device,
    ctap: new Ctap2(device),
    close: async () => {
      await device.close().catch(() => undefined);
      await connection.close().catch(() => undefined);
    },
  };
}

const POLL_MS = 250;

/** Resolves once the key stops answering (it was unplugged). */
export async function waitUntilRemoved(key: OpenKey, signal?: AbortSignal): Promise<void> {
  for (;;) {
    signal?.throwIfAborted();
    try {
      await key.device.ping(Uint8Array.of(0x70), {
        timeoutMs: 1_000,
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      signal?.throwIfAborted();
      void error;
      return;
    }
    await sleep(POLL_MS, signal);
  }
}

/** Resolves with the key once one answers in the slot again (it was plugged back in). */
export async function waitUntilInserted(
  slot: KeySlot,
  signal?: AbortSignal,
  options: CtapHidDeviceOptions = {},
): Promise<OpenKey> {
  for (;;) {
    signal?.throwIfAborted();
    try {
      return await openKey(slot, { initTimeoutMs: 500, ...options });
    } catch {
      await sleep(POLL_MS, signal);
    }
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
