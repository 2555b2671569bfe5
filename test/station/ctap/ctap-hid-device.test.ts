import { describe, expect, it } from 'vitest';
import { CtapError } from '../../../station/ctap/ctap-error.ts';
import { CtapHidDevice } from '../../../station/ctap/ctap-hid-device.ts';
import { Ctap2 } from '../../../station/ctap/ctap2.ts';
import { CtapHidError } from '../../../station/ctap/ctaphid-error.ts';
import { fragmentMessage } from '../../../station/ctap/ctaphid-framing.ts';
import type { TransportError } from '../../../station/transport/transport-error.ts';
import { initResponse, packet, ScriptedConnection } from '../../support/scripted-connection.ts';

const CID = 0x0c0ffee0;
const PING = 0x01;
const CBOR = 0x10;
const KEEPALIVE = 0x3b;
const ERROR = 0x3f;

/** A scripted device that answers INIT, then hands every later request to `onRequest`. */
function device(
  onRequest: (report: Uint8Array, connection: ScriptedConnection) => void,
): ScriptedConnection {
  return new ScriptedConnection((report, connection) => {
    if (report[4] === 0x86) connection.deliver(initResponse(report, CID));
    else onRequest(report, connection);
  });
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure');
}

describe('CtapHidDevice against a misbehaving key', () => {
  it("takes the channel from the INIT answer whose nonce matches, ignoring other hosts' answers", async () => {
    const connection = new ScriptedConnection((report, c) => {
      const stranger = initResponse(report, 0x11111111);
      stranger[7] = stranger[7]! ^ 0xff; // another host's nonce
      c.deliver(stranger);
      c.deliver(initResponse(report, CID, 0x05));
    });
    const hid = await CtapHidDevice.open(connection);
    expect(hid.cid).toBe(CID);
    expect(hid.deviceVersion).toEqual({ major: 5, minor: 7, build: 4 });
    expect(hid.supportsWink).toBe(true);
    expect(hid.supportsMsg).toBe(true);
  });

  it('refuses a key that allocates the broadcast channel', async () => {
    const connection = new ScriptedConnection((report, c) =>
      c.deliver(initResponse(report, 0xffffffff)),
    );
    const error = (await failure(CtapHidDevice.open(connection))) as TransportError;
    expect(error.code).toBe('INVALID_RESPONSE');
  });

  it('times out INIT on a device that never answers', async () => {
    const connection = new ScriptedConnection(() => undefined);
    const error = (await failure(
      CtapHidDevice.open(connection, { initTimeoutMs: 100 }),
    )) as TransportError;
    expect(error.code).toBe('TIMEOUT');
    expect(error.message).toMatch(/CTAPHID_INIT/);
  });

  it('passes keepalive states to the caller and reassembles a multi-packet answer', async () => {
    const answer = new Uint8Array(300).map((_, i) => i & 0xff);
    const connection = device((_report, c) => {
      c.deliver(packet(CID, KEEPALIVE, Uint8Array.of(1)));
      c.deliver(packet(CID, KEEPALIVE, Uint8Array.of(2)));
      c.deliver(packet(CID, KEEPALIVE, Uint8Array.of(2)));
      for (const p of fragmentMessage(CID, PING, answer)) c.deliver(p);
    });
    const hid = await CtapHidDevice.open(connection);
    const states: string[] = [];
    const echoed = await hid.ping(answer, { onKeepalive: (state) => states.push(state) });
    expect(echoed).toEqual(answer);
    expect(states).toEqual(['processing', 'touch-needed']);
  });

  it('ignores reports for other channels, and garbage on ours is INVALID_RESPONSE', async () => {
    let calls = 0;
    const connection = device((_report, c) => {
      calls++;
      c.deliver(packet(0x22222222, PING, Uint8Array.of(9, 9))); // another host's traffic
      if (calls === 1) c.deliver(packet(CID, PING, Uint8Array.of(1, 2, 3)));
      else c.deliver(packet(CID, 0x55, Uint8Array.of(0xde, 0xad)));
    });
    const hid = await CtapHidDevice.open(connection);
    expect(await hid.ping(Uint8Array.of(1, 2, 3))).toEqual(Uint8Array.of(1, 2, 3));
    const error = (await failure(hid.ping(Uint8Array.of(1)))) as TransportError;
    expect(error.code).toBe('INVALID_RESPONSE');
    expect(error.message).toMatch(/answered PING with command 0x55/);
  });

  it('detects a continuation packet out of sequence and a truncated report', async () => {
    let calls = 0;
    const connection = device((_report, c) => {
      calls++;
      if (calls === 1) {
        const [first, second, third] = fragmentMessage(CID, PING, new Uint8Array(150));
        c.deliver(first!);
        c.deliver(third!);
        c.deliver(second!);
      } else {
        c.deliverRaw(Uint8Array.of(0x0c, 0x0f));
      }
    });
    const hid = await CtapHidDevice.open(connection);
    expect(((await failure(hid.ping(new Uint8Array(150)))) as TransportError).message).toMatch(
      /continuation packet 1 where 0 was expected/,
    );
    expect(((await failure(hid.ping(new Uint8Array(1)))) as TransportError).message).toMatch(
      /too short for CTAPHID/,
    );
  });

  it('reports CTAPHID_ERROR as CtapHidError and retries while the key is busy', async () => {
    let calls = 0;
    const connection = device((report, c) => {
      calls++;
      if (report[4] === (0x80 | PING) && calls < 3)
        c.deliver(packet(CID, ERROR, Uint8Array.of(0x06)));
      else if (report[4] === (0x80 | PING)) c.deliver(packet(CID, PING, Uint8Array.of(7)));
      else c.deliver(packet(CID, ERROR, Uint8Array.of(0x01)));
    });
    const hid = await CtapHidDevice.open(connection, { busyRetryMs: 10 });
    expect(await hid.ping(Uint8Array.of(7))).toEqual(Uint8Array.of(7));
    expect(calls).toBe(3);
    const error = (await failure(hid.wink())) as CtapHidError;
    expect(error).toBeInstanceOf(CtapHidError);
    expect(error.code).toBe('INVALID_CMD');
  });

  it('a key that falls silent mid-command times out instead of hanging', async () => {
    const connection = device((_report, c) => c.deliver(packet(CID, KEEPALIVE, Uint8Array.of(1))));
    const hid = await CtapHidDevice.open(connection, { silenceTimeoutMs: 150 });
    const error = (await failure(hid.ping(Uint8Array.of(1)))) as TransportError;
    expect(error.code).toBe('TIMEOUT');
    expect(error.message).toMatch(/stopped answering/);
  });

  it('an unplugged device rejects pending and later calls with DEVICE_REMOVED', async () => {
    const connection = device((_report, c) => setTimeout(() => c.unplug(), 20));
    const hid = await CtapHidDevice.open(connection);
    expect(((await failure(hid.ping(Uint8Array.of(1)))) as TransportError).code).toBe(
      'DEVICE_REMOVED',
    );
    expect(((await failure(hid.ping(Uint8Array.of(1)))) as TransportError).code).toBe(
      'DEVICE_REMOVED',
    );
  });

  it('carries a U2F APDU over CTAPHID_MSG and a vendor command with its own number', async () => {
    const connection = device((report, c) => {
      const command = report[4]! & 0x7f;
      const length = (report[5]! << 8) | report[6]!;
      const data = report.subarray(7, 7 + length);
      if (command === 0x03)
        c.deliver(packet(CID, 0x03, Uint8Array.of(...Buffer.from('U2F_V2'), 0x90, 0x00)));
      else c.deliver(packet(CID, command, Uint8Array.of(data.length, ...data)));
    });
    const hid = await CtapHidDevice.open(connection);
    const version = await hid.msg(Uint8Array.of(0x00, 0x03, 0x00, 0x00, 0x00));
    expect(new TextDecoder().decode(version.subarray(0, 6))).toBe('U2F_V2');
    expect(await hid.vendor(0x42, Uint8Array.of(7, 8))).toEqual(Uint8Array.of(2, 7, 8));
    expect(() => hid.vendor(0x10, new Uint8Array(0))).toThrow(/0x40-0x7F/);
  });

  it('keeps an unknown CTAP status as a CtapError with its number', async () => {
    const connection = device((_report, c) => c.deliver(packet(CID, CBOR, Uint8Array.of(0xf3))));
    const ctap = new Ctap2(await CtapHidDevice.open(connection));
    const error = (await failure(ctap.getInfo())) as CtapError;
    expect(error).toBeInstanceOf(CtapError);
    expect(error.status).toBe(0xf3);
    expect(error.code).toBe('VENDOR_ERROR_0xF3');
    expect(error.command).toBe('getInfo');
  });

  it('a non-canonical getInfo answer is INVALID_RESPONSE naming the CBOR problem', async () => {
    // {1: ["FIDO_2_0"], 3: aaguid} with the keys in the wrong order.
    const body = Uint8Array.of(
      0x00,
      0xa2,
      0x03,
      0x50,
      ...new Uint8Array(16),
      0x01,
      0x81,
      0x68,
      ...new TextEncoder().encode('FIDO_2_0'),
    );
    const connection = device((_report, c) => c.deliver(packet(CID, CBOR, body)));
    const ctap = new Ctap2(await CtapHidDevice.open(connection));
    const error = (await failure(ctap.getInfo())) as TransportError;
    expect(error.code).toBe('INVALID_RESPONSE');
    expect(error.message).toMatch(/out of canonical order/);
  });

  it('aborting sends CTAPHID_CANCEL on our channel and waits for the key to confirm', async () => {
    const connection = device((report, c) => {
      if (report[4] === (0x80 | CBOR)) c.deliver(packet(CID, KEEPALIVE, Uint8Array.of(2)));
      if (report[4] === (0x80 | 0x11)) c.deliver(packet(CID, CBOR, Uint8Array.of(0x2d)));
    });
    const hid = await CtapHidDevice.open(connection);
    const abort = new AbortController();
    const pending = hid.cbor(Uint8Array.of(0x0b), {
      signal: abort.signal,
      onKeepalive: () => abort.abort(),
    });
    const error = (await failure(pending)) as TransportError;
    expect(error.code).toBe('CANCELLED');
    const cancel = connection.written.find((r) => r[4] === 0x91)!;
    expect(new DataView(cancel.buffer).getUint32(0)).toBe(CID);
  });
});
