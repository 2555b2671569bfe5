import { describe, expect, it } from 'vitest';
import { concatBytes, toHex } from '../../../core/bytes.ts';
import { CtapHidDevice } from '../../../station/ctap/ctap-hid-device.ts';
import { CtapHidCommand } from '../../../station/ctap/ctaphid-constants.ts';
import { fragmentMessage, parsePacket } from '../../../station/ctap/ctaphid-framing.ts';
import {
  YUBIKEY_READ_CONFIG,
  YubiKeyInfoTag,
  interpretDeviceInfo,
  parseTlvs,
  readYubiKeyDeviceInfo,
} from '../../../station/ctap/yubikey-device-info.ts';
import { TransportError } from '../../../station/transport/transport-error.ts';
import { caught } from '../../support/caught.ts';
import { ReplayConnection } from '../../support/replay-connection.ts';
import * as kanidm from '../../vectors/kanidm.ts';
import { CTAP_INIT } from '../../vectors/libfido2-wiredata.ts';
import { DEVICE_INFO_TESTDATA } from '../../vectors/yubikey.ts';

// serial, firmware, form factor code and name, FIPS bit, Security Key series bit, as yubikey-manager
// names the products.
const EXPECTED: Record<string, [number, string, number, string, boolean, boolean]> = {
  'YubiKey 5C NFC - Enhanced PIN': [34310235, '5.7.4', 3, 'USB-C keychain', false, false],
  'YubiKey 5C NFC FIPS': [32133201, '5.7.4', 3, 'USB-C keychain', true, false],
  'YubiKey 5 Nano': [29504708, '5.7.1', 2, 'USB-A nano', false, false],
  'YubiKey Bio - FIDO Edition': [28293724, '5.7.2', 6, 'USB-A Bio', false, false],
  'YubiKey C Bio - Multi-protocol Edition': [28299263, '5.7.2', 7, 'USB-C Bio', false, false],
  'Security Key C NFC - Enterprise Edition': [24850540, '5.4.3', 3, 'USB-C keychain', false, true],
  'YubiKey 5Ci': [10500386, '5.2.3', 5, 'USB-C Lightning', false, false],
  // A pre-release key: VERSION says 0.0.1; the real version (5.8.0) is in VERSION_QUALIFIER.
  'YubiKey C Bio - FIDO Edition': [36852201, '5.8.0', 7, 'USB-C Bio', false, false],
};

const versionText = (v: { major: number; minor: number; patch: number } | undefined): string =>
  v ? `${v.major}.${v.minor}.${v.patch}` : 'none';

describe('yubikey-manager DEVICE_INFO_TESTDATA', () => {
  it('has an expectation for every product', () => {
    expect(DEVICE_INFO_TESTDATA.map((d) => d.product).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(DEVICE_INFO_TESTDATA)(
    'reads serial, version and form factor of $product',
    ({ product, tlvs }) => {
      const info = interpretDeviceInfo(new Map(parseTlvs(tlvs)));
      const [serial, version, code, name, fips, securityKeySeries] = EXPECTED[product]!;
      expect(info.serial).toBe(serial);
      expect(versionText(info.version)).toBe(version);
      expect(info.formFactor).toEqual({ code, name, fips, securityKeySeries });
    },
  );

  it('keeps every TLV as received, such as the part number and the version qualifier', () => {
    const bio = DEVICE_INFO_TESTDATA.find((d) => d.product === 'YubiKey C Bio - FIDO Edition')!;
    const info = interpretDeviceInfo(new Map(parseTlvs(bio.tlvs)));
    expect(new TextDecoder().decode(info.tlvs.get(YubiKeyInfoTag.PART_NUMBER))).toBe(
      '78CLUFX5000P',
    );
    expect(toHex(info.tlvs.get(YubiKeyInfoTag.VERSION_QUALIFIER)!)).toBe(
      '0103050800020101030400000003',
    );
    expect(toHex(info.tlvs.get(YubiKeyInfoTag.USB_ENABLED)!)).toBe('1206');
    expect(info.versionQualifier).toEqual({ type: 1, iteration: 3 });
  });

  it('refuses a TLV that runs past the end with TransportError INVALID_RESPONSE', () => {
    const tlvs = DEVICE_INFO_TESTDATA[0]!.tlvs;
    const cut = tlvs.subarray(0, 10); // ends inside SERIAL (02 04 020b885b)
    const error = caught(TransportError, () => parseTlvs(cut));
    expect(error.code).toBe('INVALID_RESPONSE');
    expect(error.message).toContain('TLV 0x2 runs past the end');
    expect(caught(TransportError, () => parseTlvs(Uint8Array.of(0x04))).code).toBe(
      'INVALID_RESPONSE',
    );
  });
});

/** A YubiKey that answers INIT and then READ_CONFIG pages from `pages` (by page number). */
async function yubiKey(
  pages: Uint8Array[] | 'not a YubiKey',
): Promise<{ device: CtapHidDevice; connection: ReplayConnection }> {
  const nonce = parsePacket(CTAP_INIT)!.data.slice(0, 8);
  const cid = 0x00220002;
  const connection = new ReplayConnection((report) => {
    const packet = parsePacket(report)!;
    if (packet.kind !== 'init') return [];
    if (packet.cmd === CtapHidCommand.INIT) return [CTAP_INIT];
    if (pages === 'not a YubiKey')
      return fragmentMessage(cid, CtapHidCommand.ERROR, Uint8Array.of(0x01));
    return fragmentMessage(cid, YUBIKEY_READ_CONFIG, pages[packet.data[0]!]!);
  });
  const device = await CtapHidDevice.open(connection, { randomBytes: () => nonce });
  return { device, connection };
}

describe('READ_CONFIG over CTAPHID (vendor command 0x42)', () => {
  it.each([
    [
      'yubikey_5c',
      kanidm.READ_CONFIG_YUBIKEY_5C,
      3405648436,
      '5.1.2',
      'USB-C keychain',
      false,
      '0218',
    ],
    [
      'yubikey_5c_nano',
      kanidm.READ_CONFIG_YUBIKEY_5C_NANO,
      3405648436,
      '5.2.4',
      'USB-C nano',
      false,
      '0202',
    ],
    [
      'yubico_security_key_c_nfc',
      kanidm.READ_CONFIG_SECURITY_KEY_C_NFC,
      undefined,
      '5.4.3',
      'USB-C keychain',
      true,
      '0200',
    ],
  ])(
    'reads the kanidm %s answer',
    async (_name, payload, serial, version, formName, sky, usbEnabled) => {
      const { device, connection } = await yubiKey([payload]);
      const info = await readYubiKeyDeviceInfo(device);
      expect(info?.serial).toBe(serial);
      expect(versionText(info?.version)).toBe(version);
      expect(info?.formFactor?.name).toBe(formName);
      expect(info?.formFactor?.securityKeySeries).toBe(sky);
      expect(toHex(info!.tlvs.get(YubiKeyInfoTag.USB_ENABLED)!)).toBe(usbEnabled);
      // The request: CMD 0x80|0x42 = 0xc2 on our channel, one byte: page 0.
      expect(toHex(connection.written[1]!.subarray(0, 8))).toBe('00220002c2000100');
    },
  );

  it('follows MORE_DATA to the second page and merges both', async () => {
    const tlvs = DEVICE_INFO_TESTDATA[0]!.tlvs;
    const split = toHex(tlvs).indexOf('100101') / 2 + 3; // page 0 ends with MORE_DATA = 1
    const page = (body: Uint8Array): Uint8Array => concatBytes([Uint8Array.of(body.length), body]);
    const { device } = await yubiKey([page(tlvs.subarray(0, split)), page(tlvs.subarray(split))]);
    const info = await readYubiKeyDeviceInfo(device);
    expect(info?.serial).toBe(34310235);
    expect(new TextDecoder().decode(info?.tlvs.get(YubiKeyInfoTag.PART_NUMBER))).toBe(
      '78CLUFX5000P',
    );
    expect(info?.tlvs.has(YubiKeyInfoTag.MORE_DATA)).toBe(false);
  });

  it('gives undefined for a key that answers CTAPHID ERROR INVALID_CMD', async () => {
    const { device } = await yubiKey('not a YubiKey');
    expect(await readYubiKeyDeviceInfo(device)).toBeUndefined();
  });

  it('refuses an answer whose length byte does not match', async () => {
    const wrongLength = new Uint8Array(kanidm.READ_CONFIG_YUBIKEY_5C);
    wrongLength[0] = wrongLength[0]! + 1;
    const { device } = await yubiKey([wrongLength]);
    const error = await readYubiKeyDeviceInfo(device).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).code).toBe('INVALID_RESPONSE');
    expect((error as TransportError).message).toContain('bad length byte (36 for 35 bytes)');
  });
});
