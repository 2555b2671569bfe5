import { CtapHidDevice, type CtapHidDeviceOptions } from '../../station/ctap/ctap-hid-device.ts';
import { Ctap2 } from '../../station/ctap/ctap2.ts';
import type { HidConnection } from '../../station/transport/hid-connection.ts';
import { openInMemoryConnection } from '../../station/transport/in-memory-transport.ts';
import { openUdpConnection } from '../../station/transport/udp-transport.ts';
import { serveVirtualKeyOverUdp, type UdpServer } from '../../station/virtual-key/udp-server.ts';
import { VirtualKey, type VirtualKeyOptions } from '../../station/virtual-key/virtual-key.ts';

export type TransportKind = 'memory' | 'udp';

export interface ConnectedKey {
  key: VirtualKey;
  device: CtapHidDevice;
  ctap: Ctap2;
  server: UdpServer | undefined;
  /** Opens another host connection to the same key (another CTAPHID channel). */
  connect(options?: CtapHidDeviceOptions): Promise<CtapHidDevice>;
  close(): Promise<void>;
}

/**
 * A software key and a CTAP2 client talking to it over the chosen transport: in-process, or
 * HID-over-UDP on a free loopback port.
 */
export async function connectedKey(
  transport: TransportKind,
  keyOptions: VirtualKeyOptions = {},
  deviceOptions: CtapHidDeviceOptions = {},
): Promise<ConnectedKey> {
  const key = await VirtualKey.create({
    onInternalError: (error) => {
      throw error;
    },
    ...keyOptions,
  });
  const server = transport === 'udp' ? await serveVirtualKeyOverUdp(key, { port: 0 }) : undefined;
  const devices: CtapHidDevice[] = [];
  const open = async (options: CtapHidDeviceOptions = deviceOptions): Promise<CtapHidDevice> => {
    const connection: HidConnection = server
      ? await openUdpConnection({ port: server.port })
      : openInMemoryConnection(key);
    const device = await CtapHidDevice.open(connection, options);
    devices.push(device);
    return device;
  };
  const device = await open();
  return {
    key,
    device,
    ctap: new Ctap2(device),
    server,
    connect: open,
    async close() {
      for (const d of devices) await d.close().catch(() => undefined);
      await server?.close();
    },
  };
}
