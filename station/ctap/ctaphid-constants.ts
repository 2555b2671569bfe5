/** CTAPHID command bytes (CTAP 2.1 §11.2.9); on the wire they carry the TYPE_INIT bit 0x80. */
export const CtapHidCommand = {
  PING: 0x01,
  MSG: 0x03,
  LOCK: 0x04,
  INIT: 0x06,
  WINK: 0x08,
  CBOR: 0x10,
  CANCEL: 0x11,
  KEEPALIVE: 0x3b,
  ERROR: 0x3f,
  VENDOR_FIRST: 0x40,
  VENDOR_LAST: 0x7f,
} as const;

/** CTAPHID_INIT capability flags. */
export const CtapHidCapability = {
  WINK: 0x01,
  LOCK: 0x02,
  CBOR: 0x04,
  /** The device does NOT implement CTAPHID_MSG (no U2F). */
  NMSG: 0x08,
} as const;

/** CTAPHID_KEEPALIVE status byte. */
export const KeepaliveStatus = {
  PROCESSING: 0x01,
  UPNEEDED: 0x02,
} as const;

/** CTAPHID_ERROR codes (CTAP 2.1 §11.2.9.1.6). */
export const CtapHidErrorCode = {
  INVALID_CMD: 0x01,
  INVALID_PAR: 0x02,
  INVALID_LEN: 0x03,
  INVALID_SEQ: 0x04,
  MSG_TIMEOUT: 0x05,
  CHANNEL_BUSY: 0x06,
  LOCK_REQUIRED: 0x0a,
  INVALID_CHANNEL: 0x0b,
  OTHER: 0x7f,
} as const;

export const TYPE_INIT = 0x80;
export const BROADCAST_CID = 0xffffffff;
export const REPORT_SIZE = 64;
export const INIT_HEADER_LENGTH = 7;
export const CONT_HEADER_LENGTH = 5;

/** Largest CTAPHID message for a report size: one init packet plus 128 continuations. */
export function maxMessageLength(reportSize = REPORT_SIZE): number {
  return reportSize - INIT_HEADER_LENGTH + 128 * (reportSize - CONT_HEADER_LENGTH);
}
