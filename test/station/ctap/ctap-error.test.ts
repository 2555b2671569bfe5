import { describe, expect, it } from 'vitest';
import { CtapError } from '../../../station/ctap/ctap-error.ts';
import { CtapHidDevice } from '../../../station/ctap/ctap-hid-device.ts';
import { ctapStatusName, isKnownCtapStatus } from '../../../station/ctap/ctap-status.ts';
import { Ctap2 } from '../../../station/ctap/ctap2.ts';
import { CtapHidError } from '../../../station/ctap/ctaphid-error.ts';
import { fragmentMessage, parsePacket } from '../../../station/ctap/ctaphid-framing.ts';
import { ReplayConnection } from '../../support/replay-connection.ts';
import { ERROR_INVALID_CMD } from '../../vectors/kanidm.ts';
import { CTAP_INIT } from '../../vectors/libfido2-wiredata.ts';

// CTAP 2.1 (Proposed Standard, 2021-06-15) §8.2 "Status codes", without the CTAP1_ERR_/CTAP2_ERR_
// prefixes; 0x16 and 0x29/0x2a are retired but still sent by CTAP 2.0 keys.
const CTAP21_STATUSES: [number, string][] = [
  [0x00, 'SUCCESS'],
  [0x01, 'INVALID_COMMAND'],
  [0x02, 'INVALID_PARAMETER'],
  [0x03, 'INVALID_LENGTH'],
  [0x04, 'INVALID_SEQ'],
  [0x05, 'TIMEOUT'],
  [0x06, 'CHANNEL_BUSY'],
  [0x0a, 'LOCK_REQUIRED'],
  [0x0b, 'INVALID_CHANNEL'],
  [0x11, 'CBOR_UNEXPECTED_TYPE'],
  [0x12, 'INVALID_CBOR'],
  [0x14, 'MISSING_PARAMETER'],
  [0x15, 'LIMIT_EXCEEDED'],
  [0x16, 'UNSUPPORTED_EXTENSION'],
  [0x17, 'FP_DATABASE_FULL'],
  [0x18, 'LARGE_BLOB_STORAGE_FULL'],
  [0x19, 'CREDENTIAL_EXCLUDED'],
  [0x21, 'PROCESSING'],
  [0x22, 'INVALID_CREDENTIAL'],
  [0x23, 'USER_ACTION_PENDING'],
  [0x24, 'OPERATION_PENDING'],
  [0x25, 'NO_OPERATIONS'],
  [0x26, 'UNSUPPORTED_ALGORITHM'],
  [0x27, 'OPERATION_DENIED'],
  [0x28, 'KEY_STORE_FULL'],
  [0x29, 'NOT_BUSY'],
  [0x2a, 'NO_OPERATION_PENDING'],
  [0x2b, 'UNSUPPORTED_OPTION'],
  [0x2c, 'INVALID_OPTION'],
  [0x2d, 'KEEPALIVE_CANCEL'],
  [0x2e, 'NO_CREDENTIALS'],
  [0x2f, 'USER_ACTION_TIMEOUT'],
  [0x30, 'NOT_ALLOWED'],
  [0x31, 'PIN_INVALID'],
  [0x32, 'PIN_BLOCKED'],
  [0x33, 'PIN_AUTH_INVALID'],
  [0x34, 'PIN_AUTH_BLOCKED'],
  [0x35, 'PIN_NOT_SET'],
  [0x36, 'PUAT_REQUIRED'],
  [0x37, 'PIN_POLICY_VIOLATION'],
  [0x38, 'PIN_TOKEN_EXPIRED'],
  [0x39, 'REQUEST_TOO_LARGE'],
  [0x3a, 'ACTION_TIMEOUT'],
  [0x3b, 'UP_REQUIRED'],
  [0x3c, 'UV_BLOCKED'],
  [0x3d, 'INTEGRITY_FAILURE'],
  [0x3e, 'INVALID_SUBCOMMAND'],
  [0x3f, 'UV_INVALID'],
  [0x40, 'UNAUTHORIZED_PERMISSION'],
  [0x7f, 'OTHER'],
];

const hex = (status: number): string => `0x${status.toString(16).padStart(2, '0')}`;

describe('CTAP 2.1 status names', () => {
  it.each(CTAP21_STATUSES.map(([status, name]) => ({ hex: hex(status), status, name })))(
    'status $hex is known as $name',
    ({ status, name }) => {
      expect(ctapStatusName(status)).toBe(name);
      expect(isKnownCtapStatus(status)).toBe(true);
      const error = new CtapError(status, { command: 'makeCredential' });
      expect(error.code).toBe(name);
      expect(error.status).toBe(status);
      expect(
        error.message.startsWith(
          `makeCredential failed: ${name} (0x${status.toString(16).padStart(2, '0')}).`,
        ),
      ).toBe(true);
    },
  );

  it('has a name for no other status below 0x80', () => {
    const known = new Set(CTAP21_STATUSES.map(([status]) => status));
    const others = Array.from({ length: 0x80 }, (_, s) => s).filter((s) => !known.has(s));
    expect(others.filter(isKnownCtapStatus)).toEqual([]);
  });
});

describe('statuses CTAP 2.1 does not name', () => {
  it.each([
    [0x42, 'UNKNOWN_STATUS_0x42'],
    [0xdf, 'UNKNOWN_STATUS_0xDF'],
    [0xe0, 'EXTENSION_ERROR_0xE0'],
    [0xe5, 'EXTENSION_ERROR_0xE5'],
    [0xef, 'EXTENSION_ERROR_0xEF'],
    [0xf0, 'VENDOR_ERROR_0xF0'],
    [0xf3, 'VENDOR_ERROR_0xF3'],
    [0xff, 'VENDOR_ERROR_0xFF'],
  ])('keeps status %i as %s with its number', (status, code) => {
    const error = new CtapError(status, { command: 'getAssertion' });
    expect(error.code).toBe(code);
    expect(error.status).toBe(status);
    expect(error.is(status)).toBe(true);
    expect(isKnownCtapStatus(status)).toBe(false);
    expect(error.message).toBe(
      `getAssertion failed: ${code} (0x${status.toString(16)}). This status is not defined by CTAP 2.1.`,
    );
  });
});

describe('error messages', () => {
  it('names the command and says what to do', () => {
    const error = new CtapError(0x31, {
      command: 'clientPIN/getPinUvAuthTokenUsingPinWithPermissions',
    });
    expect(error.command).toBe('clientPIN/getPinUvAuthTokenUsingPinWithPermissions');
    expect(error.message).toBe(
      'clientPIN/getPinUvAuthTokenUsingPinWithPermissions failed: PIN_INVALID (0x31). ' +
        'The PIN was wrong (or must be changed first). Each wrong PIN uses up a retry.',
    );
  });

  it('still reads without a command', () => {
    expect(new CtapError(0x2e).message).toBe(
      'The security key answered: NO_CREDENTIALS (0x2e). The key holds no matching credential.',
    );
  });

  it('names the CTAPHID error in the kanidm ERROR capture', () => {
    const packet = parsePacket(ERROR_INVALID_CMD)!;
    const error = new CtapHidError((packet as { data: Uint8Array }).data[0]!, { command: 'CBOR' });
    expect(error.code).toBe('INVALID_CMD');
    expect(error.hidError).toBe(1);
    expect(error.message).toContain('CTAPHID CBOR: the key answered ERROR INVALID_CMD (0x01).');
  });
});

describe('statuses from the wire', () => {
  /** A Ctap2 over a replayed key that answers every CBOR request with the one-byte status. */
  async function keyAnswering(status: number): Promise<Ctap2> {
    const connection = new ReplayConnection((report) =>
      report[4] === 0x86
        ? [CTAP_INIT]
        : report[4] === 0x90
          ? fragmentMessage(0x00220002, 0x10, Uint8Array.of(status))
          : [],
    );
    const nonce = parsePacket(CTAP_INIT)!.data.slice(0, 8);
    return new Ctap2(await CtapHidDevice.open(connection, { randomBytes: () => nonce }));
  }

  it.each([
    [0x42, 'UNKNOWN_STATUS_0x42'],
    [0xe5, 'EXTENSION_ERROR_0xE5'],
    [0xf3, 'VENDOR_ERROR_0xF3'],
  ])('turns status %i into a CtapError %s naming getInfo', async (status, code) => {
    const ctap = await keyAnswering(status);
    const error = await ctap.getInfo().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CtapError);
    expect((error as CtapError).code).toBe(code);
    expect((error as CtapError).status).toBe(status);
    expect((error as CtapError).message).toMatch(/^getInfo failed: /);
  });

  it('names the clientPIN subcommand', async () => {
    const ctap = await keyAnswering(0x32);
    const error = await ctap
      .clientPin({ pinUvAuthProtocol: 2, subCommand: 1 })
      .catch((e: unknown) => e);
    expect((error as CtapError).code).toBe('PIN_BLOCKED');
    expect((error as CtapError).command).toBe('clientPIN/getPINRetries');
  });
});
