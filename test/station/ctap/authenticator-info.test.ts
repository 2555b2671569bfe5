import { describe, expect, it } from 'vitest';
import { toHex } from '../../../core/bytes.ts';
import { decodeCanonical, encodeCanonical } from '../../../core/cbor/canonical-cbor.ts';
import { CborError } from '../../../core/cbor/cbor-error.ts';
import type { CborKey, CborValue } from '../../../core/cbor/cbor-value.ts';
import { formatAaguid } from '../../../core/webauthn/aaguid.ts';
import {
  encodeAuthenticatorInfo,
  parseAuthenticatorInfo,
  type AuthenticatorInfo,
} from '../../../station/ctap/authenticator-info.ts';
import { caught } from '../../support/caught.ts';
import { GET_INFO_YUBIKEY_5_NFC_571 } from '../../vectors/foundation-devices.ts';
import { GET_INFO_NFC_USB, GET_INFO_TOKEN2, USB_GET_INFO_PAYLOAD } from '../../vectors/kanidm.ts';
import * as libfido2 from '../../vectors/libfido2-wiredata.ts';
import { GET_INFO_YK_BIO_5C } from '../../vectors/mozilla-authenticator-rs.ts';
import { INFO, INFO_EXTRA_KEY } from '../../vectors/python-fido2.ts';
import { NET_SDK_MINIMUM_INFO, NET_SDK_REPEAT_KEY_INFO } from '../../vectors/yubikey.ts';

/** getInfo CBOR (without the status byte) → parsed info. */
const parse = (cbor: Uint8Array): AuthenticatorInfo =>
  parseAuthenticatorInfo(decodeCanonical(cbor));
/** A CTAPHID payload: status byte 0x00, then the CBOR. */
const parsePayload = (payload: Uint8Array): AuthenticatorInfo => {
  expect(payload[0]).toBe(0x00);
  return parse(payload.subarray(1));
};

const ES256_EDDSA = [
  { alg: -7, type: 'public-key' },
  { alg: -8, type: 'public-key' },
];
const YK_OPTIONS_543 = {
  rk: true,
  up: true,
  plat: false,
  clientPin: true,
  credentialMgmtPreview: true,
};

describe('getInfo captured from real keys', () => {
  it('reads the YubiKey 5 NFC 5.4.3 capture (libfido2 #633)', () => {
    const info = parsePayload(libfido2.ISSUE_633_GET_INFO_PAYLOAD);
    expect(info.versions).toEqual(['U2F_V2', 'FIDO_2_0', 'FIDO_2_1_PRE']);
    expect(info.extensions).toEqual(['credProtect', 'hmac-secret']);
    expect(formatAaguid(info.aaguid)).toBe('2fc0579f-8113-47ea-b116-bb5a8db9202a');
    expect(info.options).toEqual(YK_OPTIONS_543);
    expect(info.maxMsgSize).toBe(1200);
    expect(info.pinUvAuthProtocols).toEqual([2, 1]);
    expect(info.maxCredentialCountInList).toBe(8);
    expect(info.maxCredentialIdLength).toBe(128);
    expect(info.transports).toEqual(['nfc', 'usb']);
    expect(info.algorithms).toEqual(ES256_EDDSA);
    expect(info.minPinLength).toBe(4);
    expect(info.firmwareVersion).toBe(0x050403);
    expect(info.forcePinChange).toBe(false);
    expect(info.remainingDiscoverableCredentials).toBeUndefined();
    expect(info.unknown.size).toBe(0);
  });

  it('reads the YubiKey 5 NFC map kanidm carries (protocol 1 only, no firmware version)', () => {
    const info = parse(GET_INFO_NFC_USB);
    expect(formatAaguid(info.aaguid)).toBe('2fc0579f-8113-47ea-b116-bb5a8db9202a');
    expect(info.pinUvAuthProtocols).toEqual([1]);
    expect(info.options).toEqual(YK_OPTIONS_543);
    expect(info.firmwareVersion).toBeUndefined();
    expect(info.minPinLength).toBe(4); // the CTAP default, since key 0x0d is absent
  });

  it('reads the Security Key NFC 5.4.3 capture, which has no U2F_V2', () => {
    const info = parsePayload(USB_GET_INFO_PAYLOAD);
    expect(info.versions).toEqual(['FIDO_2_0', 'FIDO_2_1_PRE']);
    expect(formatAaguid(info.aaguid)).toBe('149a2021-8ef6-4133-96b8-81f8d5b7f1f5');
    expect(info.firmwareVersion).toBe(0x050403);
    expect(info.pinUvAuthProtocols).toEqual([2, 1]);
  });

  it('reads the YubiKey Bio 5.5.6 map with UV, bio enrollment and remaining credentials', () => {
    const info = parse(GET_INFO_YK_BIO_5C);
    expect(info.versions).toEqual(['U2F_V2', 'FIDO_2_0', 'FIDO_2_1_PRE', 'FIDO_2_1']);
    expect(formatAaguid(info.aaguid)).toBe('d8522d9f-575b-4866-88a9-ba99fa02f35b');
    expect(info.options).toMatchObject({
      uv: true,
      bioEnroll: true,
      alwaysUv: true,
      makeCredUvNotRqd: false,
    });
    expect(Object.keys(info.options)).toHaveLength(16);
    expect(info.transports).toEqual(['usb']);
    expect(info.maxSerializedLargeBlobArray).toBe(1024);
    expect(info.firmwareVersion).toBe(0x050506);
    expect(info.maxCredBlobLength).toBe(32);
    expect(info.maxRpIdsForSetMinPinLength).toBe(1);
    expect(info.preferredPlatformUvAttempts).toBe(3);
    expect(info.uvModality).toBe(2);
    expect(info.remainingDiscoverableCredentials).toBe(24);
  });

  it('reads the Token2 map with certifications, keeping the device order of versions', () => {
    const info = parse(GET_INFO_TOKEN2);
    expect(info.versions).toEqual(['U2F_V2', 'FIDO_2_0', 'FIDO_2_1', 'FIDO_2_1_PRE']);
    expect(formatAaguid(info.aaguid)).toBe('ab32f0c6-2239-afbb-c470-d2ef4e254db7');
    expect(info.maxMsgSize).toBe(1536);
    expect(info.maxCredentialIdLength).toBe(96);
    expect(info.transports).toEqual(['usb', 'nfc']);
    expect(info.algorithms).toEqual([{ alg: -7, type: 'public-key' }]);
    expect(info.firmwareVersion).toBe(256);
    expect(info.maxRpIdsForSetMinPinLength).toBe(6);
    expect(info.certifications).toEqual({ FIDO: 1 });
    expect(info.remainingDiscoverableCredentials).toBe(50);
  });
});

describe('getInfo library fixtures', () => {
  it('reads libfido2 WIREDATA_CTAP_CBOR_INFO with the CTAP 2.3 members', () => {
    const info = parsePayload(libfido2.CBOR_INFO_PAYLOAD);
    expect(info.versions.at(-1)).toBe('FIDO_2_3');
    expect(info.extensions).toContain('thirdPartyPayment');
    expect(info.options).toMatchObject({ ep: false, clientPin: false, perCredMgmtRO: true });
    expect(info.transports).toEqual(['nfc', 'usb', 'smart-card']);
    expect(info.algorithms?.map((a) => a.alg)).toEqual([-7, -8, -35]);
    expect(info.maxSerializedLargeBlobArray).toBe(4096);
    expect(info.firmwareVersion).toBe(1);
    expect(info.remainingDiscoverableCredentials).toBe(100);
    expect(info.attestationFormats).toEqual(['packed']);
    expect(info.longTouchForReset).toBe(true);
    expect(toHex(info.encIdentifier!)).toBe(
      '91817b7c2ebdf9a7be753a93d0a169ee2916c3daa6abf46898c4928e114efb0f',
    );
    expect(info.transportsForReset).toEqual(['usb', 'smart-card']);
    expect(info.pinComplexityPolicy).toBe(true);
    expect(new TextDecoder().decode(info.pinComplexityPolicyUrl)).toBe('https://example.com');
    expect(info.maxPinLength).toBe(63);
    expect(info.encCredStoreState).toHaveLength(32);
    expect(info.authenticatorConfigCommands).toEqual([1, 2, 3]);
    expect(info.unknown.size).toBe(0);
  });

  it('reads the previous libfido2 fixture (protocol 1, clientPin not set)', () => {
    const info = parsePayload(libfido2.CBOR_INFO_2020_PAYLOAD);
    expect(formatAaguid(info.aaguid)).toBe('1956e5bd-a374-45f1-a814-356403fdbc18');
    expect(info.options.clientPin).toBe(false);
    expect(info.pinUvAuthProtocols).toEqual([1]);
    expect(info.transports).toEqual([]);
  });

  it('reads python-fido2 _INFO', () => {
    const info = parse(INFO);
    expect(info.versions).toEqual(['U2F_V2', 'FIDO_2_0']);
    expect(info.extensions).toEqual(['uvm', 'hmac-secret']);
    expect(formatAaguid(info.aaguid)).toBe('f8a011f3-8c0a-4d15-8006-17111f9edc7d');
    expect(info.options).toEqual({ rk: true, up: true, plat: false, clientPin: false });
    expect(info.maxMsgSize).toBe(1200);
    expect(info.pinUvAuthProtocols).toEqual([1]);
  });

  it('reads the YubiKey 5 NFC 5.7.1 map: ES384, 4 KiB large blobs, 100 slots left', () => {
    const info = parse(GET_INFO_YUBIKEY_5_NFC_571);
    expect(formatAaguid(info.aaguid)).toBe('a25342c0-3cdc-4414-8e46-f4807fca511c');
    expect(info.maxMsgSize).toBe(1280);
    expect(info.algorithms?.map((a) => a.alg)).toEqual([-7, -8, -35]);
    expect(info.maxSerializedLargeBlobArray).toBe(4096);
    expect(info.forcePinChange).toBe(false);
    expect(info.firmwareVersion).toBe(0x050701);
    expect(info.remainingDiscoverableCredentials).toBe(100);
  });

  it('reads the .NET SDK minimum map with defaults for everything absent', () => {
    const info = parse(NET_SDK_MINIMUM_INFO);
    expect(info).toMatchObject({
      versions: ['U2F_V2', 'FIDO_2_0', 'FIDO_2_1_PRE'],
      extensions: [],
      options: {},
      maxMsgSize: 1024,
      pinUvAuthProtocols: [],
      transports: [],
      forcePinChange: false,
      minPinLength: 4,
    });
    expect(info.algorithms).toBeUndefined();
  });

  it('refuses the .NET SDK map with a repeated key 1 before parsing it', () => {
    const error = caught(CborError, () => parse(NET_SDK_REPEAT_KEY_INFO));
    expect(error.code).toBe('CBOR_NON_CANONICAL');
    expect(error.message).toContain('duplicate map key');
  });
});

describe('members the parser does not know', () => {
  it('keeps python-fido2 _INFO_EXTRA_KEY 99 → 1234 in unknown', () => {
    const info = parse(INFO_EXTRA_KEY);
    expect(info.unknown).toEqual(new Map([[99, 1234]]));
    expect(info.versions).toEqual(['U2F_V2', 'FIDO_2_0']);
  });

  it('keeps a future member and writes it back', () => {
    const map = decodeCanonical(INFO) as Map<CborKey, CborValue>;
    map.set(0x20, ['future']);
    const info = parseAuthenticatorInfo(map);
    expect(info.unknown).toEqual(new Map([[0x20, ['future']]]));
    const again = parse(encodeCanonical(encodeAuthenticatorInfo(info)));
    expect(again.unknown).toEqual(info.unknown);
  });
});

describe('wrongly typed members', () => {
  it.each([
    [0x03, 'text', 'aaguid (key 3) must be a byte string of 16 bytes, got a text string'],
    [0x05, '1200', 'maxMsgSize (key 5) must be an unsigned integer, got a text string'],
    [
      0x06,
      [2, -1],
      'pinUvAuthProtocols (key 6) must be an array of unsigned integers, got an array of 2',
    ],
    [0x01, 'FIDO_2_1', 'versions (key 1) must be an array, got a text string'],
    [0x0e, -1, 'firmwareVersion (key 14) must be an unsigned integer, got a negative integer'],
  ] as [number, CborValue, string][])(
    'key %i = %j is CBOR_UNEXPECTED_TYPE naming the member',
    (key, value, message) => {
      const map = decodeCanonical(libfido2.ISSUE_633_GET_INFO_PAYLOAD.subarray(1)) as Map<
        CborKey,
        CborValue
      >;
      map.set(key, value);
      const error = caught(CborError, () => parseAuthenticatorInfo(map));
      expect(error.code).toBe('CBOR_UNEXPECTED_TYPE');
      expect(error.message).toContain(`getInfo response: ${message}`);
    },
  );

  it('refuses options that are not booleans', () => {
    const map = decodeCanonical(INFO) as Map<CborKey, CborValue>;
    map.set(4, new Map([['rk', 1]]));
    const error = caught(CborError, () => parseAuthenticatorInfo(map));
    expect(error.code).toBe('CBOR_UNEXPECTED_TYPE');
    expect(error.message).toContain('options');
  });

  it('refuses a missing AAGUID', () => {
    const map = decodeCanonical(INFO) as Map<CborKey, CborValue>;
    map.delete(3);
    expect(caught(CborError, () => parseAuthenticatorInfo(map)).message).toBe(
      'getInfo response: required aaguid (key 3) is missing.',
    );
  });
});

describe('encode → decode', () => {
  it.each([
    ['Bio 5.5.6', GET_INFO_YK_BIO_5C],
    ['Token2', GET_INFO_TOKEN2],
    ['libfido2 CTAP 2.3', libfido2.CBOR_INFO_PAYLOAD.subarray(1)],
  ])('rebuilds the %s map byte for byte', (_name, cbor) => {
    expect(toHex(encodeCanonical(encodeAuthenticatorInfo(parse(cbor))))).toBe(toHex(cbor));
  });

  it.each([
    ['YubiKey 5.4.3', libfido2.ISSUE_633_GET_INFO_PAYLOAD.subarray(1)],
    ['python-fido2 _INFO_EXTRA_KEY', INFO_EXTRA_KEY],
    ['.NET minimum', NET_SDK_MINIMUM_INFO],
  ])('gives back the same %s info, with CTAP defaults written out', (_name, cbor) => {
    const info = parse(cbor);
    expect(parse(encodeCanonical(encodeAuthenticatorInfo(info)))).toEqual(info);
  });
});
