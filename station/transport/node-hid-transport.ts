import type * as NodeHidModule from 'node-hid';
import type { HIDAsync } from 'node-hid';
import type { HidConnection, HidDeviceDescriptor } from './hid-connection.ts';
import { ReportQueue } from './report-queue.ts';
import { TransportError } from './transport-error.ts';

/** FIDO Alliance HID usage page and the CTAPHID usage (CTAP 2.1 §11.2.8.1). */
export const FIDO_USAGE_PAGE = 0xf1d0;
export const FIDO_USAGE = 0x01;

type NodeHid = Pick<typeof NodeHidModule, 'devicesAsync' | 'HIDAsync'>;

let loaded: Promise<NodeHid> | undefined;

/**
 * node-hid is loaded only when a real key is used: its native part needs libusb and libudev,
 * which machines that only run the software key need not have.
 */
async function loadNodeHid(): Promise<NodeHid> {
  loaded ??= import('node-hid')
    // A CommonJS package: its exports arrive as the default export.
    .then((module): NodeHid => module.default ?? module)
    .catch((cause: unknown) => {
      loaded = undefined;
      throw nodeHidLoadError(cause);
    });
  return loaded;
}

/**
 * The error for a node-hid that will not load, with the fix for the usual cause: its native
 * module links libusb and libudev, which minimal systems lack.
 */
export function nodeHidLoadError(cause: unknown): TransportError {
  const message = String((cause as Error)?.message ?? cause);
  const advice = /libusb/.test(message)
    ? 'Install libusb: `sudo apt-get install libusb-1.0-0` (Debian/Ubuntu), `sudo dnf install libusb1` (Fedora), `brew install libusb` (macOS).'
    : /libudev/.test(message)
      ? 'Install libudev: `sudo apt-get install libudev1` (Debian/Ubuntu).'
      : 'Reinstall dependencies with `npm ci` on this machine (the prebuilt binary may not match this platform).';
  return new TransportError(
    'NATIVE_LIBRARY_MISSING',
    `USB security keys need node-hid's native library, which did not load: ${message}. ${advice}`,
    { cause },
  );
}

/** FIDO HID interfaces plugged into this machine. */
export async function listFidoDevices(): Promise<HidDeviceDescriptor[]> {
  const hid = await loadNodeHid();
  const devices = await hid.devicesAsync();
  return devices
    .filter((d) => d.usagePage === FIDO_USAGE_PAGE && d.usage === FIDO_USAGE && d.path)
    .map((d) => {
      const descriptor: HidDeviceDescriptor = {
        path: d.path!,
        vendorId: d.vendorId,
        productId: d.productId,
      };
      if (d.product) descriptor.product = d.product;
      if (d.manufacturer) descriptor.manufacturer = d.manufacturer;
      if (d.serialNumber) descriptor.serialNumber = d.serialNumber;
      return descriptor;
    });
}

/** Opens a FIDO HID interface by path. Writes get hidapi's leading report-id byte 0x00. */
export async function openNodeHidConnection(path: string, reportSize = 64): Promise<HidConnection> {
  const hid = await loadNodeHid();
  const label = `hid:${path}`;
  let device: HIDAsync;
  try {
    device = await hid.HIDAsync.open(path);
  } catch (cause) {
    const message = String((cause as Error)?.message ?? cause);
    const advice =
      process.platform === 'win32'
        ? 'Windows lets only elevated processes talk to security keys directly: run the station as Administrator.'
        : process.platform === 'linux'
          ? 'Give your user access to /dev/hidraw* (a udev rule for FIDO keys, e.g. from the libfido2 package), or check the key is still plugged in.'
          : 'Check that the key is still plugged in and no other program holds it.';
    throw new TransportError(
      /denied|permission|access/i.test(message) ? 'PERMISSION_DENIED' : 'OPEN_FAILED',
      `Could not open ${label}: ${message}. ${advice}`,
      {
        cause,
      },
    );
  }
  const queue = new ReportQueue();
  device.on('data', (data: Buffer) => {
    // Some platforms hand back the report id; FIDO keys use none, so a leading 0 is dropped.
    const report = data.length === reportSize + 1 && data[0] === 0 ? data.subarray(1) : data;
    queue.push(new Uint8Array(report));
  });
  device.on('error', (error: Error) => {
    queue.fail(
      new TransportError('DEVICE_REMOVED', `The key at ${label} was removed (${error.message}).`, {
        cause: error,
      }),
    );
  });
  let closed = false;
  return {
    reportSize,
    label,
    async write(report: Uint8Array): Promise<void> {
      if (closed) throw new TransportError('CLOSED', `The connection to ${label} is closed.`);
      if (queue.failed) throw queue.failed;
      const framed = Buffer.alloc(reportSize + 1);
      framed.set(report, 1);
      try {
        await device.write(framed);
      } catch (cause) {
        const error = new TransportError(
          'DEVICE_REMOVED',
          `Could not write to ${label}; the key was probably removed.`,
          { cause },
        );
        queue.fail(error);
        throw error;
      }
    },
    read: (options) => queue.read(label, options),
    subscribe: (listener) => queue.subscribe(listener),
    discardPending: () => queue.clear(),
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      queue.fail(new TransportError('CLOSED', `The connection to ${label} is closed.`));
      await device.close().catch(() => undefined);
    },
  };
}
