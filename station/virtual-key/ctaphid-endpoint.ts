import {
  BROADCAST_CID,
  CtapHidCommand as Cmd,
  CtapHidErrorCode as HidError,
  KeepaliveStatus,
  maxMessageLength,
} from '../ctap/ctaphid-constants.ts';
import { MessageAssembler, fragmentMessage, parsePacket } from '../ctap/ctaphid-framing.ts';
import { ReusableTimer } from '../transport/reusable-timer.ts';

/** Sends a report back to the host that sent the request. */
export type ReplyFn = (report: Uint8Array) => void;

export interface EndpointCommandContext {
  signal: AbortSignal;
  /** Switches the keepalive status between PROCESSING and UPNEEDED. */
  setTouchNeeded(needed: boolean): void;
}

export interface EndpointHandlers {
  cbor(payload: Uint8Array, ctx: EndpointCommandContext): Promise<Uint8Array>;
  /** Vendor command 0x40–0x7F; undefined answers ERR_INVALID_CMD. */
  vendor(command: number, data: Uint8Array): Uint8Array | undefined;
  wink(): void;
}

export interface CtapHidEndpointOptions {
  version: { major: number; minor: number; build: number };
  capabilities: number;
  random: (n: number) => Uint8Array;
  keepaliveIntervalMs?: number;
  /** Longest gap between packets of one message before ERR_MSG_TIMEOUT. */
  transactionTimeoutMs?: number;
  maxChannels?: number;
  reportSize?: number;
}

interface Transaction {
  cid: number;
  reply: ReplyFn;
  assembler?: MessageAssembler;
  abort?: AbortController;
  /** Sends the current keepalive status while a CBOR request runs. */
  keepalive?: () => void;
}

/**
 * The device side of CTAPHID (CTAP 2.1 §11.2): channel allocation, one transaction at a time
 * (other channels get CHANNEL_BUSY, except a broadcast INIT), reassembly with sequence and
 * inter-packet timeout checks, keepalives while a CBOR request runs, CANCEL, and resync by INIT.
 */
export class CtapHidEndpoint {
  private readonly options: Required<CtapHidEndpointOptions>;
  private readonly handlers: EndpointHandlers;
  private readonly channels: number[] = [];
  private active: Transaction | undefined;
  private poweredOn = true;
  // One timer serves the endpoint: the inter-packet timeout while a message is assembled, the
  // keepalive period while a CBOR request runs.
  private readonly timer = new ReusableTimer(() => this.onTimer());

  constructor(handlers: EndpointHandlers, options: CtapHidEndpointOptions) {
    this.handlers = handlers;
    this.options = {
      keepaliveIntervalMs: 100,
      transactionTimeoutMs: 500,
      maxChannels: 32,
      reportSize: 64,
      ...options,
    };
  }

  /** Power loss: the running request is abandoned without an answer, all channels are forgotten. */
  powerDown(): void {
    this.poweredOn = false;
    this.endTransaction();
    this.channels.length = 0;
  }

  powerUp(): void {
    this.poweredOn = true;
  }

  receive(report: Uint8Array, reply: ReplyFn): void {
    if (!this.poweredOn || report.length !== this.options.reportSize) return;
    const packet = parsePacket(report);
    if (!packet) return;
    const { cid } = packet;
    if (packet.kind === 'cont') {
      const active = this.active;
      // Spurious continuation packets are ignored (CTAP 2.1 §11.2.5.4).
      if (!active || active.cid !== cid || !active.assembler) return;
      const result = active.assembler.add(packet);
      if (result.status === 'bad-sequence') {
        this.endTransaction();
        this.sendError(reply, cid, HidError.INVALID_SEQ);
      } else if (result.status === 'complete') {
        this.timer.stop();
        this.dispatch(active, active.assembler.cmd, result.payload);
      } else {
        this.armTimeout();
      }
      return;
    }
    if (cid === 0) return this.sendError(reply, cid, HidError.INVALID_CHANNEL);
    if (packet.cmd === Cmd.INIT) return this.init(cid, packet.length, packet.data, reply);
    if (packet.cmd === Cmd.CANCEL) {
      // Never answered; only the channel whose CBOR request is running can cancel it.
      if (this.active?.cid === cid) this.active.abort?.abort();
      return;
    }
    if (cid === BROADCAST_CID || !this.channels.includes(cid))
      return this.sendError(reply, cid, HidError.INVALID_CHANNEL);
    if (this.active) {
      const sameChannelAssembling =
        this.active.cid === cid && this.active.assembler && !this.active.abort;
      if (sameChannelAssembling) {
        // A new message where a continuation was due: the old one is dropped.
        this.endTransaction();
        return this.sendError(reply, cid, HidError.INVALID_SEQ);
      }
      return this.sendError(reply, cid, HidError.CHANNEL_BUSY);
    }
    if (packet.length > maxMessageLength(this.options.reportSize))
      return this.sendError(reply, cid, HidError.INVALID_LEN);
    const assembler = new MessageAssembler(packet);
    const transaction: Transaction = { cid, reply, assembler };
    this.active = transaction;
    if (assembler.complete) this.dispatch(transaction, packet.cmd, assembler.payload);
    else this.armTimeout();
  }

  private init(cid: number, length: number, data: Uint8Array, reply: ReplyFn): void {
    if (length !== 8) return this.sendError(reply, cid, HidError.INVALID_LEN);
    let assigned: number;
    if (cid === BROADCAST_CID) {
      assigned = this.allocate();
    } else if (this.channels.includes(cid)) {
      // Resynchronise: whatever this channel was doing is dropped.
      if (this.active?.cid === cid) this.endTransaction();
      assigned = cid;
    } else {
      return this.sendError(reply, cid, HidError.INVALID_CHANNEL);
    }
    const { major, minor, build } = this.options.version;
    const payload = new Uint8Array(17);
    payload.set(data.subarray(0, 8));
    new DataView(payload.buffer).setUint32(8, assigned);
    payload.set([2, major, minor, build, this.options.capabilities], 12);
    this.send(reply, cid, Cmd.INIT, payload);
  }

  private allocate(): number {
    let cid: number;
    do {
      cid = new DataView(this.options.random(4).buffer).getUint32(0);
    } while (cid === 0 || cid === BROADCAST_CID || this.channels.includes(cid));
    this.channels.push(cid);
    if (this.channels.length > this.options.maxChannels) this.channels.shift();
    return cid;
  }

  private armTimeout(): void {
    this.timer.start(this.options.transactionTimeoutMs);
  }

  private onTimer(): void {
    const active = this.active;
    if (!active) return;
    if (active.keepalive) {
      active.keepalive();
      this.timer.start(this.options.keepaliveIntervalMs);
    } else if (active.assembler) {
      this.endTransaction();
      this.sendError(active.reply, active.cid, HidError.MSG_TIMEOUT);
    }
  }

  private dispatch(transaction: Transaction, cmd: number, payload: Uint8Array): void {
    delete transaction.assembler;
    const { cid, reply } = transaction;
    const finish = (command: number, data: Uint8Array): void => {
      if (this.active !== transaction) return; // dropped by INIT or power loss meanwhile
      this.endTransaction(false);
      this.send(reply, cid, command, data);
    };
    switch (cmd) {
      case Cmd.PING:
        return finish(Cmd.PING, payload);
      case Cmd.WINK:
        this.handlers.wink();
        return finish(Cmd.WINK, new Uint8Array(0));
      case Cmd.CBOR:
        if (payload.length === 0) {
          this.endTransaction();
          return this.sendError(reply, cid, HidError.INVALID_LEN);
        }
        return this.runCbor(transaction, payload, finish);
      default: {
        const answer =
          cmd >= Cmd.VENDOR_FIRST && cmd <= Cmd.VENDOR_LAST
            ? this.handlers.vendor(cmd, payload)
            : undefined;
        if (answer) return finish(cmd, answer);
        // MSG (no U2F on this model: NMSG), LOCK (not offered) and anything unknown.
        this.endTransaction();
        return this.sendError(reply, cid, HidError.INVALID_CMD);
      }
    }
  }

  private runCbor(
    transaction: Transaction,
    payload: Uint8Array,
    finish: (command: number, data: Uint8Array) => void,
  ): void {
    const abort = new AbortController();
    transaction.abort = abort;
    let status: number = KeepaliveStatus.PROCESSING;
    const keepalive = (): void => {
      if (this.active === transaction)
        this.send(transaction.reply, transaction.cid, Cmd.KEEPALIVE, Uint8Array.of(status));
    };
    transaction.keepalive = keepalive;
    this.timer.start(this.options.keepaliveIntervalMs);
    const ctx: EndpointCommandContext = {
      signal: abort.signal,
      setTouchNeeded: (needed) => {
        const next = needed ? KeepaliveStatus.UPNEEDED : KeepaliveStatus.PROCESSING;
        if (next !== status) {
          status = next;
          keepalive(); // and whenever the status changes
        }
      },
    };
    this.handlers
      .cbor(payload, ctx)
      .then((response) => finish(Cmd.CBOR, response))
      .catch(() => finish(Cmd.CBOR, Uint8Array.of(0x7f)));
  }

  /** Ends the transaction; a CBOR request still running is aborted unless it just finished. */
  private endTransaction(abortRunning = true): void {
    const active = this.active;
    if (!active) return;
    this.timer.stop();
    // Aborting creates a DOMException: only when something is still running.
    if (abortRunning) active.abort?.abort();
    this.active = undefined;
  }

  private send(reply: ReplyFn, cid: number, command: number, payload: Uint8Array): void {
    for (const packet of fragmentMessage(cid, command, payload, this.options.reportSize))
      reply(packet);
  }

  private sendError(reply: ReplyFn, cid: number, code: number): void {
    this.send(reply, cid, Cmd.ERROR, Uint8Array.of(code));
  }
}
