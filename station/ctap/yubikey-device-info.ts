import { TransportError } from '../transport/transport-error.ts';
import type { CtapHidCallOptions, CtapHidDevice } from './ctap-hid-device.ts';
import { CtapHidError } from './ctaphid-error.ts';

/** YubiKey management vendor command READ_CONFIG over CTAPHID (yubikit: CTAP_VENDOR_FIRST + 2). */
export const YUBIKEY_READ_CONFIG = 0x42;

/** DeviceInfo TLV tags of the YubiKey management application. */
export const YubiKeyInfoTag = {
  USB_SUPPORTED: 0x01,
  SERIAL: 0x02,
  USB_ENABLED: 0x03,
  FORM_FACTOR: 0x04,
  VERSION: 0x05,
  AUTO_EJECT_TIMEOUT: 0x06,
  CHALRESP_TIMEOUT: 0x07,
  DEVICE_FLAGS: 0x08,
  CONFIG_LOCK: 0x0a,
  NFC_SUPPORTED: 0x0d,
  NFC_ENABLED: 0x0e,
  MORE_DATA: 0x10,
  PART_NUMBER: 0x13,
  FIPS_CAPABLE: 0x14,
  FIPS_APPROVED: 0x15,
  PIN_COMPLEXITY: 0x16,
  NFC_RESTRICTED: 0x17,
  RESET_BLOCKED: 0x18,
  VERSION_QUALIFIER: 0x19,
} as const;

/** Form factor, low bits of tag 0x04 (high bits: 0x80 FIPS, 0x40 Security Key series). */
export const YubiKeyFormFactor: Record<number, string> = {
  0x00: 'unknown',
  0x01: 'USB-A keychain',
  0x02: 'USB-A nano',
  0x03: 'USB-C keychain',
  0x04: 'USB-C nano',
  0x05: 'USB-C Lightning',
  0x06: 'USB-A Bio',
  0x07: 'USB-C Bio',
};

export interface YubiKeyDeviceInfo {
  serial?: number;
  /** Firmware version; for pre-release keys, the one in VERSION_QUALIFIER (VERSION then says 0.0.1). */
  version?: { major: number; minor: number; patch: number };
  /** Present on pre-release firmware: 0 alpha, 1 beta, 2 final, and the build iteration. */
  versionQualifier?: { type: number; iteration: number };
  formFactor?: { code: number; name: string; fips: boolean; securityKeySeries: boolean };
  /** Every TLV as received, by tag, so nothing the key says is lost. */
  tlvs: Map<number, Uint8Array>;
}

/**
 * Reads YubiKey DeviceInfo over the FIDO interface with vendor command 0x42, page by page while
 * the key sets MORE_DATA. Keys that are not YubiKeys answer CTAPHID ERROR INVALID_CMD: that gives
 * `undefined`, and the station falls back to a scanned label.
 */
export async function readYubiKeyDeviceInfo(
  device: CtapHidDevice,
  options?: CtapHidCallOptions,
): Promise<YubiKeyDeviceInfo | undefined> {
  const tlvs = new Map<number, Uint8Array>();
  for (let page = 0; page < 16; page++) {
    let response: Uint8Array;
    try {
      response = await device.vendor(YUBIKEY_READ_CONFIG, Uint8Array.of(page), options);
    } catch (error) {
      if (error instanceof CtapHidError && error.code === 'INVALID_CMD' && page === 0)
        return undefined;
      throw error;
    }
    const body = checkedBody(response);
    for (const [tag, value] of parseTlvs(body)) tlvs.set(tag, value);
    const more = tlvs.get(YubiKeyInfoTag.MORE_DATA);
    tlvs.delete(YubiKeyInfoTag.MORE_DATA);
    if (!more || more[0] !== 1) break;
  }
  return interpretDeviceInfo(tlvs);
}

/** The answer is length(1) ‖ TLVs; the length must match. */
function checkedBody(response: Uint8Array): Uint8Array {
  if (response.length === 0 || response[0] !== response.length - 1) {
    throw new TransportError(
      'INVALID_RESPONSE',
      `YubiKey READ_CONFIG answer has a bad length byte (${response[0] ?? 'none'} for ${response.length - 1} bytes).`,
    );
  }
  return response.subarray(1);
}

/** BER-style TLVs: one-byte tag, length in short form or 0x81/0x82 long form. */
export function parseTlvs(bytes: Uint8Array): [number, Uint8Array][] {
  const out: [number, Uint8Array][] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const tag = bytes[offset++]!;
    let length = bytes[offset++];
    if (length === 0x81) length = bytes[offset++];
    else if (length === 0x82) {
      length = ((bytes[offset] ?? 0) << 8) | (bytes[offset + 1] ?? 0);
      offset += 2;
    }
    if (length === undefined || offset + length > bytes.length) {
      throw new TransportError(
        'INVALID_RESPONSE',
        `YubiKey DeviceInfo TLV 0x${tag.toString(16)} runs past the end of the answer.`,
      );
    }
    out.push([tag, bytes.slice(offset, offset + length)]);
    offset += length;
  }
  return out;
}

export function interpretDeviceInfo(tlvs: Map<number, Uint8Array>): YubiKeyDeviceInfo {
  const info: YubiKeyDeviceInfo = { tlvs };
  const serial = tlvs.get(YubiKeyInfoTag.SERIAL);
  if (serial && serial.length > 0 && serial.length <= 4) {
    info.serial = serial.reduce((n, b) => n * 256 + b, 0);
  }
  const version = tlvs.get(YubiKeyInfoTag.VERSION);
  if (version && version.length === 3) {
    info.version = { major: version[0]!, minor: version[1]!, patch: version[2]! };
  }
  const qualifier = tlvs.get(YubiKeyInfoTag.VERSION_QUALIFIER);
  if (qualifier) {
    // Nested TLVs: 0x01 version (3 bytes), 0x02 type (1 byte), 0x03 iteration (4 bytes).
    const inner = new Map(parseTlvs(qualifier));
    const qualified = inner.get(0x01);
    const type = inner.get(0x02);
    const iteration = inner.get(0x03);
    if (qualified?.length === 3)
      info.version = { major: qualified[0]!, minor: qualified[1]!, patch: qualified[2]! };
    if (type?.length === 1 && iteration?.length === 4) {
      info.versionQualifier = {
        type: type[0]!,
        iteration: iteration.reduce((n, b) => n * 256 + b, 0),
      };
    }
  }
  const form = tlvs.get(YubiKeyInfoTag.FORM_FACTOR);
  if (form && form.length === 1) {
    const code = form[0]! & 0x0f;
    info.formFactor = {
      code,
      name: YubiKeyFormFactor[code] ?? `form factor ${code}`,
      fips: (form[0]! & 0x80) !== 0,
      securityKeySeries: (form[0]! & 0x40) !== 0,
    };
  }
  return info;
}

/** Encodes DeviceInfo TLVs as READ_CONFIG answers them (used by the software key). */
export function encodeDeviceInfo(tlvs: [number, Uint8Array][]): Uint8Array {
  const parts: number[] = [];
  for (const [tag, value] of tlvs) parts.push(tag, value.length, ...value);
  return Uint8Array.of(parts.length, ...parts);
}
