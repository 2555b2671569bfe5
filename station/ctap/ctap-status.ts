/**
 * CTAP status codes (CTAP 2.1 §8.2 "Status codes"), the first byte of every CTAPHID_CBOR response.
 * 0x00 is success; CTAP1_ERR_* share their numbers with CTAPHID error codes.
 */
export const CtapStatus = {
  SUCCESS: 0x00,
  INVALID_COMMAND: 0x01,
  INVALID_PARAMETER: 0x02,
  INVALID_LENGTH: 0x03,
  INVALID_SEQ: 0x04,
  TIMEOUT: 0x05,
  CHANNEL_BUSY: 0x06,
  LOCK_REQUIRED: 0x0a,
  INVALID_CHANNEL: 0x0b,
  CBOR_UNEXPECTED_TYPE: 0x11,
  INVALID_CBOR: 0x12,
  MISSING_PARAMETER: 0x14,
  LIMIT_EXCEEDED: 0x15,
  /** Retired in CTAP 2.1 but still sent by some CTAP 2.0 keys. */
  UNSUPPORTED_EXTENSION: 0x16,
  FP_DATABASE_FULL: 0x17,
  LARGE_BLOB_STORAGE_FULL: 0x18,
  CREDENTIAL_EXCLUDED: 0x19,
  PROCESSING: 0x21,
  INVALID_CREDENTIAL: 0x22,
  USER_ACTION_PENDING: 0x23,
  OPERATION_PENDING: 0x24,
  NO_OPERATIONS: 0x25,
  UNSUPPORTED_ALGORITHM: 0x26,
  OPERATION_DENIED: 0x27,
  KEY_STORE_FULL: 0x28,
  /** Retired in CTAP 2.1. */
  NOT_BUSY: 0x29,
  /** Retired in CTAP 2.1. */
  NO_OPERATION_PENDING: 0x2a,
  UNSUPPORTED_OPTION: 0x2b,
  INVALID_OPTION: 0x2c,
  KEEPALIVE_CANCEL: 0x2d,
  NO_CREDENTIALS: 0x2e,
  USER_ACTION_TIMEOUT: 0x2f,
  NOT_ALLOWED: 0x30,
  PIN_INVALID: 0x31,
  PIN_BLOCKED: 0x32,
  PIN_AUTH_INVALID: 0x33,
  PIN_AUTH_BLOCKED: 0x34,
  PIN_NOT_SET: 0x35,
  PUAT_REQUIRED: 0x36,
  PIN_POLICY_VIOLATION: 0x37,
  /** Reserved for future use in CTAP 2.1 (was PIN_TOKEN_EXPIRED). */
  PIN_TOKEN_EXPIRED: 0x38,
  REQUEST_TOO_LARGE: 0x39,
  ACTION_TIMEOUT: 0x3a,
  UP_REQUIRED: 0x3b,
  UV_BLOCKED: 0x3c,
  INTEGRITY_FAILURE: 0x3d,
  INVALID_SUBCOMMAND: 0x3e,
  UV_INVALID: 0x3f,
  UNAUTHORIZED_PERMISSION: 0x40,
  OTHER: 0x7f,
  SPEC_LAST: 0xdf,
  EXTENSION_FIRST: 0xe0,
  EXTENSION_LAST: 0xef,
  VENDOR_FIRST: 0xf0,
  VENDOR_LAST: 0xff,
} as const;

export type CtapStatusName = keyof typeof CtapStatus;

const NAMES = new Map<number, CtapStatusName>();
for (const [name, code] of Object.entries(CtapStatus) as [CtapStatusName, number][]) {
  if (!NAMES.has(code)) NAMES.set(code, name);
}

/**
 * The name of a status byte. Codes in the extension (0xE0–0xEF) and vendor (0xF0–0xFF) ranges and
 * unassigned codes get a descriptive name that keeps the number, so nothing is lost.
 */
export function ctapStatusName(status: number): string {
  const known = NAMES.get(status);
  if (known && status !== 0xdf && status < 0xe0) return known;
  const hex = `0x${status.toString(16).padStart(2, '0').toUpperCase()}`;
  if (status >= 0xe0 && status <= 0xef) return `EXTENSION_ERROR_${hex}`;
  if (status >= 0xf0) return `VENDOR_ERROR_${hex}`;
  return `UNKNOWN_STATUS_${hex}`;
}

export function isKnownCtapStatus(status: number): boolean {
  return NAMES.has(status) && status < 0xdf;
}
