import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { CtapHidDevice } from '../../../station/ctap/ctap-hid-device.ts';
import { openUdpConnection } from '../../../station/transport/udp-transport.ts';
import { TransportError } from '../../../station/transport/transport-error.ts';

async function freePort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

describe('the HID-over-UDP transport', () => {
  it('says plainly that no key is running when nothing listens on the port', async () => {
    const port = await freePort();
    const connection = await openUdpConnection({ port });
    const error = await CtapHidDevice.open(connection, { initTimeoutMs: 2_000 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).code).toBe('DEVICE_REMOVED');
    expect((error as TransportError).message).toMatch(
      new RegExp(`Nothing answers at udp:127\\.0\\.0\\.1:${port}`),
    );
  });

  it('sends one 64-byte datagram per report, without a report-id byte', async () => {
    const device = createSocket('udp4');
    const received: Buffer[] = [];
    device.on('message', (message) => received.push(message));
    await new Promise<void>((resolve) => device.bind(0, '127.0.0.1', resolve));
    const connection = await openUdpConnection({ port: device.address().port });
    const report = new Uint8Array(64).fill(0xab);
    await connection.write(report);
    await expect(connection.write(new Uint8Array(65))).rejects.toThrow(/64 bytes/);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(received).toHaveLength(1);
    expect(new Uint8Array(received[0]!)).toEqual(report);
    await connection.close();
    await new Promise<void>((resolve) => device.close(() => resolve()));
  });
});
