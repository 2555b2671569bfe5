/**
 * A raw connection to one FIDO HID interface: 64-byte reports in, 64-byte reports out, with no
 * report-id byte (backends that need one add it). Everything CTAPHID sits above this, so the same
 * device logic runs over USB (node-hid), UDP and an in-process software key.
 */
export interface HidConnection {
  /** Report size in bytes (64 for every FIDO key in the field). */
  readonly reportSize: number;
  /** Where this connection goes, for messages: "hid:/dev/hidraw3", "udp:127.0.0.1:8111", … */
  readonly label: string;
  write(report: Uint8Array): Promise<void>;
  /**
   * The next report from the key. Rejects with TransportError `TIMEOUT` after `timeoutMs`,
   * `CANCELLED` when `signal` aborts, `DEVICE_REMOVED` when the key is gone, `CLOSED` after close().
   */
  read(options: { timeoutMs: number; signal?: AbortSignal }): Promise<Uint8Array>;
  /**
   * Hands every report to `listener` as it arrives, synchronously, until the returned function is
   * called; a failure (key removed, connection closed) goes to `listener.failed`. One exchange's
   * worth of reports goes through here: a promise per report costs too much on long answers.
   */
  subscribe(listener: ReportListener): () => void;
  /**
   * Transports that cannot see a removal (UDP) check here whether the key is still there after
   * it fell silent; a gone key shows up as a failure on the subscription.
   */
  probe?(): Promise<void>;
  /** Drops reports that arrived but were not read (stale answers from an abandoned exchange). */
  discardPending(): void;
  close(): Promise<void>;
}

export interface ReportListener {
  report(report: Uint8Array): void;
  failed(error: Error): void;
}

/** What enumeration reports about a FIDO HID interface. */
export interface HidDeviceDescriptor {
  path: string;
  vendorId: number;
  productId: number;
  product?: string;
  manufacturer?: string;
  /** USB iSerialNumber: usually empty on YubiKeys; never rely on it. */
  serialNumber?: string;
}
