import { hkdfSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { concatBytes, fromHex, toHex } from '../../../core/bytes.ts';
import { decodeCanonical, encodeCanonical } from '../../../core/cbor/canonical-cbor.ts';
import type { CoseEc2Key, CoseKey } from '../../../core/webauthn/cose-key.ts';
import {
  ClientPinSubCommand,
  encodeClientPinRequest,
  parseClientPinResponse,
} from '../../../station/ctap/client-pin-command.ts';
import { padPin, pinBytes, pinHash } from '../../../station/ctap/pin-encoding.ts';
import { EcdhKeyPair, PinUvAuthProtocolError } from '../../../station/ctap/pin-uv-auth-protocol.ts';
import { PinUvAuthProtocolOne } from '../../../station/ctap/pin-uv-auth-protocol-one.ts';
import { PinUvAuthProtocolTwo } from '../../../station/ctap/pin-uv-auth-protocol-two.ts';
import { caught } from '../../support/caught.ts';
import * as guide from '../../vectors/ctap21-migration-guide.ts';
import * as kanidm from '../../vectors/kanidm.ts';
import * as mozilla from '../../vectors/mozilla-authenticator-rs.ts';
import * as pf from '../../vectors/python-fido2.ts';

const FF64 = new Uint8Array(64).fill(0xff);

/** The key-agreement key from a clientPIN getKeyAgreement answer (CBOR, no status byte). */
const keyAgreementOf = (cbor: Uint8Array): CoseKey =>
  parseClientPinResponse(decodeCanonical(cbor)).keyAgreement!;

/** A COSE EC2 key from an uncompressed SEC1 point. */
const sec1 = (point: Uint8Array): CoseEc2Key => ({
  kty: 2,
  alg: -25,
  crv: 1,
  x: point.slice(1, 33),
  y: point.slice(33, 65),
});

/** randomBytes that hands out the given IVs in order. */
const ivs = (...values: Uint8Array[]): ((length: number) => Uint8Array) => {
  const queue = [...values];
  return (length) => {
    const next = queue.shift()!;
    expect(next).toHaveLength(length);
    return next;
  };
};

describe('PIN/UV auth protocol 1 with python-fido2 TestClientPin', () => {
  const deviceKey = keyAgreementOf(pf.DEV_KEY_AGREEMENT_RESPONSE);
  const protocol = new PinUvAuthProtocolOne({
    ephemeralKey: () => EcdhKeyPair.generate(pf.EC_PRIV),
  });
  const { keyAgreement, sharedSecret } = protocol.encapsulate(deviceKey);

  it('sends the platform key EC_PUB and agrees on SHARED', () => {
    expect(keyAgreement).toEqual({ kty: 2, alg: -25, crv: 1, x: pf.EC_PUB_X, y: pf.EC_PUB_Y });
    expect(toHex(sharedSecret)).toBe(toHex(pf.SHARED));
  });

  it('encrypts LEFT(SHA-256("1234"), 16) to PIN_HASH_ENC', () => {
    expect(toHex(protocol.encrypt(sharedSecret, pinHash(pinBytes('1234'))))).toBe(
      toHex(pf.PIN_HASH_ENC),
    );
  });

  it('decrypts TOKEN_ENC to TOKEN, and encrypts it back', () => {
    expect(toHex(protocol.decrypt(sharedSecret, pf.TOKEN_ENC))).toBe(toHex(pf.TOKEN));
    expect(toHex(protocol.encrypt(sharedSecret, pf.TOKEN))).toBe(toHex(pf.TOKEN_ENC));
  });

  it('builds setPIN("1234"): newPinEnc and a 16-byte pinUvAuthParam', () => {
    const newPinEnc = protocol.encrypt(sharedSecret, padPin(pinBytes('1234')));
    expect(toHex(newPinEnc)).toBe(toHex(pf.SET_PIN_NEW_PIN_ENC));
    const param = protocol.authenticate(sharedSecret, newPinEnc);
    expect(toHex(param)).toBe(toHex(pf.SET_PIN_AUTH_PARAM));
    const request = encodeClientPinRequest({
      pinUvAuthProtocol: 1,
      subCommand: ClientPinSubCommand.SET_PIN,
      keyAgreement,
      pinUvAuthParam: param,
      newPinEnc,
    });
    const cose = `a501020338182001215820${toHex(pf.EC_PUB_X)}225820${toHex(pf.EC_PUB_Y)}`;
    expect(toHex(encodeCanonical(request))).toBe(
      `a50101020303${cose}0450${toHex(param)}055840${toHex(newPinEnc)}`,
    );
  });

  it('builds changePIN("1234" → "4321") with a MAC over newPinEnc ‖ pinHashEnc', () => {
    const newPinEnc = protocol.encrypt(sharedSecret, padPin(pinBytes('4321')));
    expect(toHex(newPinEnc)).toBe(toHex(pf.CHANGE_PIN_NEW_PIN_ENC));
    const param = protocol.authenticate(sharedSecret, concatBytes([newPinEnc, pf.PIN_HASH_ENC]));
    expect(toHex(param)).toBe(toHex(pf.CHANGE_PIN_AUTH_PARAM));
    expect(protocol.verify(sharedSecret, concatBytes([newPinEnc, pf.PIN_HASH_ENC]), param)).toBe(
      true,
    );
    expect(protocol.verify(sharedSecret, newPinEnc, param)).toBe(false);
  });

  it('gives the same secret through decapsulate with the pinned key', () => {
    const own = EcdhKeyPair.generate(pf.EC_PRIV);
    expect(toHex(protocol.decapsulate(own, deviceKey))).toBe(toHex(pf.SHARED));
  });
});

describe('PIN/UV auth protocol 1 with other published vectors', () => {
  const protocol = new PinUvAuthProtocolOne();

  it('authenticates 0xff×64 under SHARED as kanidm expects (16 bytes)', () => {
    expect(toHex(protocol.authenticate(pf.SHARED, FF64))).toBe(toHex(kanidm.P1_AUTHENTICATE_FF64));
  });

  it('reproduces mozilla test_pin_encryption_and_hashing', () => {
    const newPinEnc = protocol.encrypt(mozilla.P1_SHARED_SECRET, padPin(pinBytes('1234')));
    expect(toHex(newPinEnc)).toBe(toHex(mozilla.P1_NEW_PIN_ENC_1234));
    expect(toHex(protocol.authenticate(mozilla.P1_SHARED_SECRET, newPinEnc))).toBe(
      toHex(mozilla.P1_PIN_AUTH),
    );
  });

  it('reproduces the Migration Guide protocol 1 column', () => {
    const key = protocol.kdf(guide.ECDH_Z);
    expect(toHex(key)).toBe(toHex(guide.P1_KEY));
    const ciphertext = protocol.encrypt(key, guide.PLAINTEXT);
    expect(toHex(ciphertext)).toBe(toHex(guide.P1_CIPHERTEXT));
    expect(toHex(protocol.authenticate(key, ciphertext))).toBe(toHex(guide.P1_AUTH_PARAM));
  });
});

describe('PIN/UV auth protocol 2 with the Migration Guide', () => {
  const authenticatorKey = keyAgreementOf(guide.GET_KEY_AGREEMENT_RESPONSE.subarray(1));
  const platform = (...iv: Uint8Array[]): PinUvAuthProtocolTwo =>
    new PinUvAuthProtocolTwo({
      ephemeralKey: () => EcdhKeyPair.generate(guide.PLATFORM_PRIVATE_KEY),
      randomBytes: ivs(...iv),
    });

  it('agrees on Z and splits HKDF output into hmacKey ‖ aesKey', () => {
    expect(authenticatorKey).toEqual(sec1(guide.AUTHENTICATOR_PUBLIC_KEY));
    const own = EcdhKeyPair.generate(guide.PLATFORM_PRIVATE_KEY);
    expect(own.publicKey).toEqual(sec1(guide.PLATFORM_PUBLIC_KEY));
    expect(toHex(own.sharedPoint(authenticatorKey))).toBe(toHex(guide.ECDH_Z));
    const { sharedSecret } = platform().encapsulate(authenticatorKey);
    expect(toHex(sharedSecret)).toBe(toHex(concatBytes([guide.P2_HMAC_KEY, guide.P2_AES_KEY])));
  });

  it('derives the same secret on the authenticator side', () => {
    const own = EcdhKeyPair.generate(guide.AUTHENTICATOR_PRIVATE_KEY);
    const secret = new PinUvAuthProtocolTwo().decapsulate(own, sec1(guide.PLATFORM_PUBLIC_KEY));
    expect(toHex(secret)).toBe(toHex(concatBytes([guide.P2_HMAC_KEY, guide.P2_AES_KEY])));
  });

  it('encrypts with the pinned IV in front and authenticates with the full 32-byte HMAC', () => {
    const protocol = platform(guide.P2_IV);
    const { sharedSecret } = protocol.encapsulate(authenticatorKey);
    const ciphertext = protocol.encrypt(sharedSecret, guide.PLAINTEXT);
    expect(toHex(ciphertext)).toBe(toHex(guide.P2_CIPHERTEXT));
    const mac = protocol.authenticate(sharedSecret, ciphertext);
    expect(mac).toHaveLength(32);
    expect(toHex(mac)).toBe(toHex(guide.P2_HMAC));
    expect(toHex(protocol.decrypt(sharedSecret, ciphertext))).toBe(toHex(guide.PLAINTEXT));
  });

  it('builds the published setPIN request (whose PIN is really "passwordsAreBad")', () => {
    const protocol = platform(guide.P2_IV);
    const { keyAgreement, sharedSecret } = protocol.encapsulate(authenticatorKey);
    const newPinEnc = protocol.encrypt(sharedSecret, padPin(pinBytes('passwordsAreBad')));
    const request = encodeClientPinRequest({
      pinUvAuthProtocol: 2,
      subCommand: ClientPinSubCommand.SET_PIN,
      keyAgreement,
      pinUvAuthParam: protocol.authenticate(sharedSecret, newPinEnc),
      newPinEnc,
    });
    expect(toHex(encodeCanonical(request))).toBe(toHex(guide.SET_PIN_REQUEST.subarray(1)));
  });

  it('builds the published changePIN request ("123456" → "09876")', () => {
    const hashIv = guide.CHANGE_PIN_PIN_HASH_ENC.slice(0, 16);
    const pinIv = guide.CHANGE_PIN_NEW_PIN_ENC.slice(0, 16);
    const protocol = platform(hashIv, pinIv);
    const { keyAgreement, sharedSecret } = protocol.encapsulate(authenticatorKey);
    const pinHashEnc = protocol.encrypt(sharedSecret, pinHash(pinBytes('123456')));
    expect(toHex(pinHashEnc)).toBe(toHex(guide.CHANGE_PIN_PIN_HASH_ENC));
    const newPinEnc = protocol.encrypt(sharedSecret, padPin(pinBytes('09876')));
    expect(toHex(newPinEnc)).toBe(toHex(guide.CHANGE_PIN_NEW_PIN_ENC));
    const pinUvAuthParam = protocol.authenticate(
      sharedSecret,
      concatBytes([newPinEnc, pinHashEnc]),
    );
    expect(toHex(pinUvAuthParam)).toBe(toHex(guide.CHANGE_PIN_AUTH_PARAM));
    const request = encodeClientPinRequest({
      pinUvAuthProtocol: 2,
      subCommand: ClientPinSubCommand.CHANGE_PIN,
      keyAgreement,
      pinUvAuthParam,
      newPinEnc,
      pinHashEnc,
    });
    expect(toHex(encodeCanonical(request))).toBe(toHex(guide.CHANGE_PIN_REQUEST.subarray(1)));
  });

  it('builds the getPinToken and permissions requests and decrypts the token', () => {
    const protocol = platform(
      guide.CHANGE_PIN_PIN_HASH_ENC.slice(0, 16),
      guide.CHANGE_PIN_PIN_HASH_ENC.slice(0, 16),
    );
    const { keyAgreement, sharedSecret } = protocol.encapsulate(authenticatorKey);
    const pinHashEnc = protocol.encrypt(sharedSecret, pinHash(pinBytes('123456')));
    const base = { pinUvAuthProtocol: 2, keyAgreement, pinHashEnc };
    const getPinToken = encodeClientPinRequest({
      ...base,
      subCommand: ClientPinSubCommand.GET_PIN_TOKEN,
    });
    expect(toHex(encodeCanonical(getPinToken))).toBe(
      toHex(guide.GET_PIN_TOKEN_REQUEST.subarray(1)),
    );
    const withPermissions = encodeClientPinRequest({
      ...base,
      subCommand: ClientPinSubCommand.GET_PIN_UV_AUTH_TOKEN_USING_PIN_WITH_PERMISSIONS,
      permissions: 0x18,
    });
    expect(toHex(encodeCanonical(withPermissions))).toBe(
      toHex(guide.GET_TOKEN_WITH_PERMISSIONS_REQUEST.subarray(1)),
    );
    const response = parseClientPinResponse(
      decodeCanonical(guide.GET_PIN_TOKEN_RESPONSE.subarray(1)),
    );
    const token = protocol.decrypt(sharedSecret, response.pinUvAuthToken!);
    expect(toHex(token)).toBe(toHex(guide.PIN_UV_AUTH_TOKEN));
  });
});

describe('PIN/UV auth protocol 2 with kanidm and mozilla vectors', () => {
  it('derives kanidm shared_secret_pin_protocol_two from the python-fido2 keys', () => {
    const protocol = new PinUvAuthProtocolTwo({
      ephemeralKey: () => EcdhKeyPair.generate(pf.EC_PRIV),
    });
    const { sharedSecret } = protocol.encapsulate(keyAgreementOf(pf.DEV_KEY_AGREEMENT_RESPONSE));
    expect(toHex(sharedSecret)).toBe(toHex(kanidm.P2_SHARED_SECRET));
    expect(toHex(protocol.authenticate(sharedSecret, FF64))).toBe(
      toHex(kanidm.P2_AUTHENTICATE_FF64),
    );
  });

  it('maps Z = 0xff×32 to the mozilla KDF output', () => {
    const z = new Uint8Array(32).fill(0xff);
    expect(toHex(new PinUvAuthProtocolTwo().kdf(z))).toBe(toHex(mozilla.PIN_UV_AUTH2_KDF_FF));
  });

  it('kdf equals node:crypto hkdfSync for both keys, for any shared point', () => {
    const protocol = new PinUvAuthProtocolTwo();
    for (let i = 0; i < 50; i++) {
      const z = new Uint8Array(randomBytes(32));
      const expected = Buffer.concat([
        Buffer.from(hkdfSync('sha256', z, new Uint8Array(32), 'CTAP2 HMAC key', 32)),
        Buffer.from(hkdfSync('sha256', z, new Uint8Array(32), 'CTAP2 AES key', 32)),
      ]);
      expect(toHex(protocol.kdf(z))).toBe(expected.toString('hex'));
    }
  });
});

describe('protocol errors', () => {
  const one = new PinUvAuthProtocolOne();
  const two = new PinUvAuthProtocolTwo();
  const secret64 = concatBytes([guide.P2_HMAC_KEY, guide.P2_AES_KEY]);

  it.each([
    ['protocol 1, 15 bytes', () => one.decrypt(pf.SHARED, new Uint8Array(15)), 'got 15'],
    ['protocol 1, empty', () => one.decrypt(pf.SHARED, new Uint8Array(0)), 'got 0'],
    ['protocol 2, only an IV', () => two.decrypt(secret64, new Uint8Array(16)), 'got 16 bytes'],
    ['protocol 2, 33 bytes', () => two.decrypt(secret64, new Uint8Array(33)), 'got 33 bytes'],
    [
      'protocol 2 under a 32-byte key',
      () => two.decrypt(pf.SHARED, guide.P2_CIPHERTEXT),
      '64-byte shared secret',
    ],
    [
      'protocol 1 encrypting 10 bytes',
      () => one.encrypt(pf.SHARED, new Uint8Array(10)),
      'whole AES blocks',
    ],
  ])('refuses to decrypt or encrypt: %s → INVALID_CIPHERTEXT', (_what, run, hint) => {
    const error = caught(PinUvAuthProtocolError, run);
    expect(error.code).toBe('INVALID_CIPHERTEXT');
    expect(error.message).toContain(hint);
  });

  it('refuses a key-agreement point that is not on P-256', () => {
    const offCurve: CoseEc2Key = {
      kty: 2,
      alg: -25,
      crv: 1,
      x: pf.DEV_PUB_X,
      y: fromHex(toHex(pf.DEV_PUB_Y).replace(/47$/, '48')),
    };
    const error = caught(PinUvAuthProtocolError, () =>
      new PinUvAuthProtocolTwo().encapsulate(offCurve),
    );
    expect(error.code).toBe('INVALID_PUBLIC_KEY');
    expect(error.message).toContain('not a point on P-256');
  });

  it('refuses an Ed25519 key for key agreement', () => {
    const error = caught(PinUvAuthProtocolError, () =>
      new PinUvAuthProtocolOne().encapsulate({ kty: 1, alg: -8, crv: 6, x: new Uint8Array(32) }),
    );
    expect(error.code).toBe('INVALID_PUBLIC_KEY');
  });
});
