import { randomBytes as cryptoRandomBytes } from 'node:crypto';
import { bytesEqual } from '../../core/bytes.ts';
import type { HidConnection } from '../transport/hid-connection.ts';
import { ReusableTimer } from '../transport/reusable-timer.ts';
import { TransportError } from '../transport/transport-error.ts';
import {
  BROADCAST_CID,
  CtapHidCapability,
  CtapHidCommand,
  CtapHidErrorCode,
  KeepaliveStatus,
  maxMessageLength,
} from './ctaphid-constants.ts';
import { CtapHidError } from './ctaphid-error.ts';
import { MessageAssembler, fragmentMessage, parsePacket } from './ctaphid-framing.ts';
import { CtapStatus } from './ctap-status.ts';

/** What a key says while it works: still processing, or waiting for a touch. */
export type KeepaliveState = 'processing' | 'touch-needed' | 'unknown';

export interface CtapHidCallOptions {
  /** Abort sends CTAPHID_CANCEL (for CBOR requests) and rejects with TransportError `CANCELLED`. */
  signal?: AbortSignal;
  /** Called when the keepalive state changes, e.g. to tell the operator to touch the key. */
  onKeepalive?: (state: KeepaliveState, status: number) => void;
  /** Overall deadline for the exchange. Defaults to the device's `callTimeoutMs`. */
  timeoutMs?: number;
}

export interface CtapHidDeviceOptions {
  /** Overall deadline per call; a YubiKey waits up to 30 s for a touch. Default 45 s. */
  callTimeoutMs?: number;
  /**
   * Longest silence tolerated while a call is outstanding. Keys send a keepalive at least every
   * 100 ms while they work, so silence means the key is gone. Default 2 s.
   */
  silenceTimeoutMs?: number;
  /** How long to wait for the CTAPHID_INIT answer. Default 1.5 s. */
  initTimeoutMs?: number;
  /** Pause between retries when another channel holds the key (CHANNEL_BUSY). Default 100 ms. */
  busyRetryMs?: number;
  /** How long to wait for the key to confirm a CANCEL. Default 1 s. */
  cancelGraceMs?: number;
  randomBytes?: (length: number) => Uint8Array;
}

export interface DeviceVersion {
  major: number;
  minor: number;
  build: number;
}

const COMMAND_NAMES = new Map<number, string>(
  Object.entries(CtapHidCommand).map(([k, v]) => [v, k]),
);

/**
 * CTAPHID over a HID connection (CTAP 2.1 §11.2): channel allocation with a nonce check,
 * fragmentation and reassembly with sequence checks, keepalives, cancellation, busy retries and
 * deadlines. One exchange at a time per device; concurrent callers queue.
 */
export class CtapHidDevice {
  readonly connection: HidConnection;
  private channel = BROADCAST_CID;
  private version: DeviceVersion = { major: 0, minor: 0, build: 0 };
  private caps = 0;
  private protocol = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private needsResync = false;
  private closed = false;
  private readonly options: Required<CtapHidDeviceOptions>;
  // One timer for every exchange of this device (they are serialised), re-armed per report.
  private readonly timer = new ReusableTimer(() => this.onTimer?.());
  private onTimer: (() => void) | undefined;

  private constructor(connection: HidConnection, options: CtapHidDeviceOptions) {
    this.connection = connection;
    this.options = {
      callTimeoutMs: options.callTimeoutMs ?? 45_000,
      silenceTimeoutMs: options.silenceTimeoutMs ?? 2_000,
      initTimeoutMs: options.initTimeoutMs ?? 1_500,
      busyRetryMs: options.busyRetryMs ?? 100,
      cancelGraceMs: options.cancelGraceMs ?? 1_000,
      randomBytes: options.randomBytes ?? ((n) => new Uint8Array(cryptoRandomBytes(n))),
    };
  }

  /** Opens a CTAPHID channel on the connection (CTAPHID_INIT on the broadcast channel). */
  static async open(
    connection: HidConnection,
    options: CtapHidDeviceOptions = {},
  ): Promise<CtapHidDevice> {
    const device = new CtapHidDevice(connection, options);
    await device.allocateChannel(BROADCAST_CID);
    return device;
  }

  get cid(): number {
    return this.channel;
  }

  /** major.minor.build from CTAPHID_INIT; on a YubiKey this is the firmware version. */
  get deviceVersion(): DeviceVersion {
    return this.version;
  }

  get capabilities(): number {
    return this.caps;
  }

  get protocolVersion(): number {
    return this.protocol;
  }

  get supportsCbor(): boolean {
    return (this.caps & CtapHidCapability.CBOR) !== 0;
  }

  get supportsWink(): boolean {
    return (this.caps & CtapHidCapability.WINK) !== 0;
  }

  get supportsMsg(): boolean {
    return (this.caps & CtapHidCapability.NMSG) === 0;
  }

  /** CTAPHID_PING: the key echoes the data. */
  ping(data: Uint8Array, options?: CtapHidCallOptions): Promise<Uint8Array> {
    return this.call(CtapHidCommand.PING, data, options);
  }

  /** CTAPHID_WINK: the key blinks, so the operator can tell which key is which. */
  async wink(options?: CtapHidCallOptions): Promise<void> {
    await this.call(CtapHidCommand.WINK, new Uint8Array(0), options);
  }

  /** CTAPHID_CBOR: a CTAP2 command byte and its CBOR; answers status byte ‖ CBOR. */
  cbor(request: Uint8Array, options?: CtapHidCallOptions): Promise<Uint8Array> {
    return this.call(CtapHidCommand.CBOR, request, options);
  }

  /** CTAPHID_MSG: a CTAP1/U2F APDU. */
  msg(apdu: Uint8Array, options?: CtapHidCallOptions): Promise<Uint8Array> {
    return this.call(CtapHidCommand.MSG, apdu, options);
  }

  /** A vendor command (0x40–0x7F), e.g. YubiKey READ_CONFIG 0x42. */
  vendor(command: number, data: Uint8Array, options?: CtapHidCallOptions): Promise<Uint8Array> {
    if (command < CtapHidCommand.VENDOR_FIRST || command > CtapHidCommand.VENDOR_LAST) {
      throw new RangeError(`Vendor CTAPHID commands are 0x40-0x7F, got 0x${command.toString(16)}.`);
    }
    return this.call(command, data, options);
  }

  /** Sends a command and returns the answer's payload. Calls are serialised. */
  call(
    command: number,
    payload: Uint8Array,
    options: CtapHidCallOptions = {},
  ): Promise<Uint8Array> {
    const run = async (): Promise<Uint8Array> => {
      if (this.closed)
        throw new TransportError('CLOSED', `The connection to ${this.connection.label} is closed.`);
      if (this.needsResync) await this.allocateChannel(this.channel);
      try {
        return await this.exchange(command, payload, options);
      } catch (error) {
        // After a timeout, cancel or garbage the key may still answer the old request; re-INIT
        // the channel before the next call so that answer cannot be mistaken for a new one.
        if (!(error instanceof CtapHidError)) this.needsResync = true;
        throw error;
      }
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.connection.close();
  }

  private async allocateChannel(cid: number): Promise<void> {
    const nonce = this.options.randomBytes(8);
    const label = this.connection.label;
    this.connection.discardPending();
    await this.writeAll(
      fragmentMessage(cid, CtapHidCommand.INIT, nonce, this.connection.reportSize),
    );
    const deadline = Date.now() + this.options.initTimeoutMs;
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw new TransportError(
          'TIMEOUT',
          `${label} did not answer CTAPHID_INIT within ${this.options.initTimeoutMs} ms. Is it a FIDO key, and is another program holding it?`,
        );
      }
      let report: Uint8Array;
      try {
        report = await this.readReport(remaining);
      } catch (error) {
        if (error instanceof TransportError && error.code === 'TIMEOUT') continue;
        throw error;
      }
      const packet = parsePacket(report);
      // Other hosts may be allocating channels at the same time: skip what is not our answer.
      if (!packet || packet.kind !== 'init' || packet.cid !== cid) continue;
      if (packet.cmd === CtapHidCommand.ERROR)
        throw new CtapHidError(packet.data[0] ?? CtapHidErrorCode.OTHER, { command: 'INIT' });
      if (packet.cmd !== CtapHidCommand.INIT || packet.length < 17) continue;
      const data = packet.data.subarray(0, 17);
      if (!bytesEqual(data.subarray(0, 8), nonce)) continue;
      const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
      const newCid = view.getUint32(8);
      if (newCid === 0 || newCid === BROADCAST_CID) {
        throw new TransportError(
          'INVALID_RESPONSE',
          `${label} allocated the reserved channel id 0x${newCid.toString(16)}.`,
        );
      }
      this.channel = newCid;
      this.protocol = data[12]!;
      this.version = { major: data[13]!, minor: data[14]!, build: data[15]! };
      this.caps = data[16]!;
      this.needsResync = false;
      return;
    }
  }

  /**
   * One request and its answer. Reports are handled synchronously as they arrive (a subscription,
   * not a promise per report), with one timer for the silence and overall deadlines.
   */
  private exchange(
    command: number,
    payload: Uint8Array,
    options: CtapHidCallOptions,
  ): Promise<Uint8Array> {
    const label = this.connection.label;
    const name = COMMAND_NAMES.get(command) ?? `0x${command.toString(16)}`;
    const maximum = maxMessageLength(this.connection.reportSize);
    if (payload.length > maximum) {
      return Promise.reject(
        new TransportError(
          'MESSAGE_TOO_LARGE',
          `A ${payload.length}-byte ${name} message exceeds the CTAPHID maximum of ${maximum} bytes.`,
        ),
      );
    }
    const { signal, onKeepalive } = options;
    if (signal?.aborted) {
      return Promise.reject(
        new TransportError('CANCELLED', `${name} to ${label} was cancelled before it started.`, {
          cause: signal.reason,
        }),
      );
    }
    const timeoutMs = options.timeoutMs ?? this.options.callTimeoutMs;
    const { silenceTimeoutMs, cancelGraceMs, busyRetryMs } = this.options;
    const channel = this.channel;
    const packets = fragmentMessage(channel, command, payload, this.connection.reportSize);
    this.connection.discardPending();

    return new Promise<Uint8Array>((resolve, reject) => {
      const deadline = Date.now() + timeoutMs;
      let assembler: MessageAssembler | undefined;
      let cancelledAt: number | undefined;
      let lastKeepalive: number | undefined;
      let busyTimer: NodeJS.Timeout | undefined;
      let settled = false;

      const finish = (error: Error | undefined, answer?: Uint8Array): void => {
        if (settled) return;
        settled = true;
        unsubscribe();
        this.onTimer = undefined;
        this.timer.stop();
        clearTimeout(busyTimer);
        signal?.removeEventListener('abort', onAbort);
        if (error) reject(error);
        else resolve(answer!);
      };
      const fail = (
        code: 'INVALID_RESPONSE' | 'TIMEOUT' | 'CANCELLED',
        message: string,
        cause?: unknown,
      ): void =>
        finish(new TransportError(code, message, cause === undefined ? undefined : { cause }));
      const send = (reports: Uint8Array[]): void => {
        this.writeAll(reports).catch((error: unknown) => finish(error as Error));
      };
      // The silence deadline moves with every report; rather than re-arming the timer per report,
      // the time of the last one is noted and the timer re-arms itself when it fires early.
      let lastActivity = Date.now();
      const arm = (): void => {
        const now = Date.now();
        const budget =
          cancelledAt === undefined ? deadline - now : cancelledAt + cancelGraceMs - now;
        this.timer.start(Math.max(1, Math.min(budget, lastActivity + silenceTimeoutMs - now)));
      };
      this.onTimer = () => {
        if (settled) return;
        const now = Date.now();
        if (cancelledAt === undefined && now < deadline && now - lastActivity < silenceTimeoutMs)
          return arm();
        if (cancelledAt !== undefined) {
          if (Date.now() >= cancelledAt + cancelGraceMs) {
            fail(
              'CANCELLED',
              `${name} to ${label} was cancelled (the key did not confirm).`,
              signal?.reason,
            );
          } else arm();
          return;
        }
        if (Date.now() >= deadline)
          return fail('TIMEOUT', `${label} did not finish ${name} within ${timeoutMs} ms.`);
        // Silent for too long while a command is outstanding: keys send keepalives every 100 ms.
        const silent = (): void =>
          fail(
            'TIMEOUT',
            `${label} stopped answering during ${name} (silent for ${silenceTimeoutMs} ms). Was the key removed?`,
          );
        if (this.connection.probe) void this.connection.probe().then(silent, silent);
        else silent();
      };
      const onAbort = (): void => {
        if (settled || cancelledAt !== undefined) return;
        // Only a CBOR request can be cancelled on the key; for anything else, stop waiting.
        if (command !== CtapHidCommand.CBOR)
          return fail('CANCELLED', `${name} to ${label} was cancelled.`, signal?.reason);
        cancelledAt = Date.now();
        send(
          fragmentMessage(
            channel,
            CtapHidCommand.CANCEL,
            new Uint8Array(0),
            this.connection.reportSize,
          ),
        );
        arm();
      };
      const complete = (answer: Uint8Array): void => {
        // A cancelled CBOR request normally ends with KEEPALIVE_CANCEL; if the key finished first,
        // the result is real (a credential may exist) and is returned, not thrown away.
        if (
          cancelledAt !== undefined &&
          command === CtapHidCommand.CBOR &&
          answer[0] === CtapStatus.KEEPALIVE_CANCEL
        ) {
          return fail('CANCELLED', `The operation on ${label} was cancelled.`, signal?.reason);
        }
        finish(undefined, answer);
      };
      const onReport = (report: Uint8Array): void => {
        if (settled) return;
        const packet = parsePacket(report);
        if (!packet)
          return fail(
            'INVALID_RESPONSE',
            `${label} sent a ${report.length}-byte report, too short for CTAPHID.`,
          );
        if (packet.cid !== channel) return; // another host's traffic on a shared device
        lastActivity = Date.now();
        if (packet.kind === 'cont') {
          if (!assembler)
            return fail(
              'INVALID_RESPONSE',
              `${label} sent a continuation packet (seq ${packet.seq}) with no message started.`,
            );
          const result = assembler.add(packet);
          if (result.status === 'bad-sequence') {
            return fail(
              'INVALID_RESPONSE',
              `${label} sent continuation packet ${result.got} where ${result.expected} was expected.`,
            );
          }
          if (result.status === 'complete') complete(result.payload);
          return;
        }
        if (assembler) {
          return fail(
            'INVALID_RESPONSE',
            `${label} started a new message (0x${packet.cmd.toString(16)}) before finishing the last one.`,
          );
        }
        if (packet.cmd === CtapHidCommand.KEEPALIVE) {
          const status = packet.data[0] ?? 0;
          if (status !== lastKeepalive) {
            lastKeepalive = status;
            onKeepalive?.(
              status === KeepaliveStatus.PROCESSING
                ? 'processing'
                : status === KeepaliveStatus.UPNEEDED
                  ? 'touch-needed'
                  : 'unknown',
              status,
            );
          }
          return;
        }
        if (packet.cmd === CtapHidCommand.ERROR) {
          const code = packet.data[0] ?? CtapHidErrorCode.OTHER;
          if (
            code === CtapHidErrorCode.CHANNEL_BUSY &&
            cancelledAt === undefined &&
            Date.now() + busyRetryMs < deadline
          ) {
            // Another channel holds the key: ask again shortly.
            busyTimer = setTimeout(() => {
              this.connection.discardPending();
              send(packets);
            }, busyRetryMs);
            return;
          }
          return finish(new CtapHidError(code, { command: name }));
        }
        if (packet.cmd !== command)
          return fail(
            'INVALID_RESPONSE',
            `${label} answered ${name} with command 0x${packet.cmd.toString(16)}.`,
          );
        if (packet.length > maximum)
          return fail(
            'INVALID_RESPONSE',
            `${label} announced a ${packet.length}-byte answer, larger than CTAPHID allows.`,
          );
        assembler = new MessageAssembler(packet);
        if (assembler.complete) complete(assembler.payload);
      };

      const unsubscribe = this.connection.subscribe({
        report: onReport,
        failed: (error) => finish(error),
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      arm();
      send(packets);
    });
  }

  private async readReport(timeoutMs: number, signal?: AbortSignal): Promise<Uint8Array> {
    return this.connection.read(signal ? { timeoutMs, signal } : { timeoutMs });
  }

  /** Queues every packet at once (transports keep their order), then waits for all of them. */
  private async writeAll(packets: Uint8Array[]): Promise<void> {
    await Promise.all(packets.map((packet) => this.connection.write(packet)));
  }
}
