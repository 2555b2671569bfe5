import {
  CONT_HEADER_LENGTH,
  INIT_HEADER_LENGTH,
  REPORT_SIZE,
  TYPE_INIT,
  maxMessageLength,
} from './ctaphid-constants.ts';

/** One CTAPHID report, split into its fields (CTAP 2.1 §11.2.4). */
export type CtapHidPacket =
  | { kind: 'init'; cid: number; cmd: number; length: number; data: Uint8Array }
  | { kind: 'cont'; cid: number; seq: number; data: Uint8Array };

/**
 * Splits a report into its fields. `data` is everything after the header; for an init packet the
 * caller trims it to `length`. Returns undefined for reports too short to hold a header.
 */
export function parsePacket(report: Uint8Array): CtapHidPacket | undefined {
  if (report.length < CONT_HEADER_LENGTH) return undefined;
  const view = new DataView(report.buffer, report.byteOffset, report.byteLength);
  const cid = view.getUint32(0);
  const typeByte = report[4]!;
  if (typeByte & TYPE_INIT) {
    if (report.length < INIT_HEADER_LENGTH) return undefined;
    return {
      kind: 'init',
      cid,
      cmd: typeByte & 0x7f,
      length: view.getUint16(5),
      data: report.subarray(INIT_HEADER_LENGTH),
    };
  }
  return { kind: 'cont', cid, seq: typeByte, data: report.subarray(CONT_HEADER_LENGTH) };
}

/**
 * Frames a message into zero-padded reports: an init packet with the first 57 bytes, then
 * continuation packets with sequence numbers 0..127 carrying 59 bytes each.
 */
export function fragmentMessage(
  cid: number,
  cmd: number,
  payload: Uint8Array,
  reportSize = REPORT_SIZE,
): Uint8Array[] {
  if (payload.length > maxMessageLength(reportSize) || payload.length > 0xffff) {
    throw new RangeError(
      `CTAPHID message of ${payload.length} bytes exceeds the maximum of ${maxMessageLength(reportSize)}.`,
    );
  }
  const packets: Uint8Array[] = [];
  const first = new Uint8Array(reportSize);
  const view = new DataView(first.buffer);
  view.setUint32(0, cid >>> 0);
  first[4] = TYPE_INIT | cmd;
  view.setUint16(5, payload.length);
  const firstChunk = Math.min(payload.length, reportSize - INIT_HEADER_LENGTH);
  first.set(payload.subarray(0, firstChunk), INIT_HEADER_LENGTH);
  packets.push(first);
  let offset = firstChunk;
  for (let seq = 0; offset < payload.length; seq++) {
    const packet = new Uint8Array(reportSize);
    new DataView(packet.buffer).setUint32(0, cid >>> 0);
    packet[4] = seq;
    const chunk = Math.min(payload.length - offset, reportSize - CONT_HEADER_LENGTH);
    packet.set(payload.subarray(offset, offset + chunk), CONT_HEADER_LENGTH);
    packets.push(packet);
    offset += chunk;
  }
  return packets;
}

export type AssemblyResult =
  | { status: 'incomplete' }
  | { status: 'complete'; payload: Uint8Array }
  | { status: 'bad-sequence'; expected: number; got: number };

/** Reassembles one message from its init packet and continuation packets, checking the sequence. */
export class MessageAssembler {
  readonly cid: number;
  readonly cmd: number;
  readonly length: number;
  private readonly buffer: Uint8Array;
  private received: number;
  private nextSeq = 0;

  constructor(init: Extract<CtapHidPacket, { kind: 'init' }>) {
    this.cid = init.cid;
    this.cmd = init.cmd;
    this.length = init.length;
    this.buffer = new Uint8Array(init.length);
    this.received = Math.min(init.length, init.data.length);
    this.buffer.set(init.data.subarray(0, this.received));
  }

  get complete(): boolean {
    return this.received >= this.length;
  }

  get payload(): Uint8Array {
    return this.buffer;
  }

  add(packet: Extract<CtapHidPacket, { kind: 'cont' }>): AssemblyResult {
    if (packet.seq !== this.nextSeq) {
      return { status: 'bad-sequence', expected: this.nextSeq, got: packet.seq };
    }
    this.nextSeq++;
    const chunk = Math.min(this.length - this.received, packet.data.length);
    this.buffer.set(packet.data.subarray(0, chunk), this.received);
    this.received += chunk;
    return this.complete ? { status: 'complete', payload: this.buffer } : { status: 'incomplete' };
  }
}
