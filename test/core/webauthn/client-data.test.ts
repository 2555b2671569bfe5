import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../../core/bytes.ts';
import { decodeBase64Url } from '../../../core/webauthn/base64url.ts';
import {
  entraRegistrationClientData,
  parseClientData,
  serializeClientData,
} from '../../../core/webauthn/client-data.ts';
import { WebAuthnEncodingError } from '../../../core/webauthn/webauthn-encoding-error.ts';
import {
  DESERIALIZE_NO_CROSS_ORIGIN,
  DESERIALIZE_NO_CROSS_ORIGIN_CHALLENGE,
  DESERIALIZE_OTHER_ORDER,
  DESERIALIZE_OTHER_ORDER_CHALLENGE,
  ENTRA_CLIENT_DATA_HASH,
  ENTRA_CLIENT_DATA_JSON,
} from '../../vectors/dsinternals.ts';
import { CLIENT_DATA_JSON as CTAP20_CLIENT_DATA_JSON } from '../../vectors/mozilla-authenticator-rs.ts';
import * as w3c from '../../vectors/w3c-webauthn.ts';
import { caught } from '../../support/caught.ts';

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');
const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

const W3C_CLIENT_DATA = [
  {
    name: 'none.ES256 create',
    json: w3c.NONE_CLIENT_DATA_JSON,
    hash: w3c.NONE_CLIENT_DATA_HASH,
    challenge: w3c.NONE_CHALLENGE,
  },
  {
    name: 'none.ES256 get',
    json: w3c.NONE_GET_CLIENT_DATA_JSON,
    hash: w3c.NONE_GET_CLIENT_DATA_HASH,
    challenge: w3c.NONE_GET_CHALLENGE,
  },
  {
    name: 'packed-self.ES256 create',
    json: w3c.PACKED_SELF_CLIENT_DATA_JSON,
    hash: w3c.PACKED_SELF_CLIENT_DATA_HASH,
    challenge: w3c.PACKED_SELF_CHALLENGE,
  },
  {
    name: 'packed-self.ES256 get',
    json: w3c.PACKED_SELF_GET_CLIENT_DATA_JSON,
    hash: w3c.PACKED_SELF_GET_CLIENT_DATA_HASH,
  },
  {
    name: 'packed.ES256 create',
    json: w3c.PACKED_CLIENT_DATA_JSON,
    hash: w3c.PACKED_CLIENT_DATA_HASH,
    challenge: w3c.PACKED_CHALLENGE,
  },
  {
    name: 'packed.ES256 get',
    json: w3c.PACKED_GET_CLIENT_DATA_JSON,
    hash: w3c.PACKED_GET_CLIENT_DATA_HASH,
  },
];

describe('serializeClientData', () => {
  it('reproduces the DSInternals Entra vector byte for byte', () => {
    const json = serializeClientData({
      type: 'webauthn.create',
      challenge: 'AQIDBAU',
      origin: 'https://login.microsoft.com',
      crossOrigin: false,
    });
    expect(json).toBe(ENTRA_CLIENT_DATA_JSON);
    expect(sha256(json)).toBe(toHex(ENTRA_CLIENT_DATA_HASH));
  });

  it('builds Entra registration client data from the rp.id Graph sent', () => {
    expect(entraRegistrationClientData('login.microsoft.com', 'AQIDBAU')).toBe(
      ENTRA_CLIENT_DATA_JSON,
    );
  });

  it('reproduces the W3C none.ES256 assertion clientDataJSON exactly', () => {
    const parsed = parseClientData(w3c.NONE_GET_CLIENT_DATA_JSON);
    expect(serializeClientData(parsed)).toBe(text(w3c.NONE_GET_CLIENT_DATA_JSON));
    expect(sha256(serializeClientData(parsed))).toBe(toHex(w3c.NONE_GET_CLIENT_DATA_HASH));
  });

  it.each(W3C_CLIENT_DATA)(
    'writes the same leading members as the W3C $name vector, which may add extraData after them',
    ({ json, hash }) => {
      expect(createHash('sha256').update(json).digest('hex')).toBe(toHex(hash));
      const serialized = serializeClientData(parseClientData(json));
      expect(text(json).startsWith(serialized.slice(0, -1))).toBe(true);
      expect(text(json).slice(serialized.length - 1)).toMatch(/^(}|,"extraData":"[^"]*"})$/);
    },
  );

  it('escapes quotes, backslashes and control characters as CCDToString does', () => {
    const json = serializeClientData({
      type: 'webauthn.get',
      challenge: 'a"b\\c\u0000\u001f\u007f\u00e9\u{1f511}',
      origin: 'https://example.org',
      crossOrigin: true,
      topOrigin: 'https://top.example\n',
    });
    expect(json).toBe(
      '{"type":"webauthn.get","challenge":"a\\"b\\\\c\\u0000\\u001f\u007f\u00e9\u{1f511}",' +
        '"origin":"https://example.org","crossOrigin":true,"topOrigin":"https://top.example\\u000a"}',
    );
    expect(parseClientData(json).challenge).toBe('a"b\\c\u0000\u001f\u007f\u00e9\u{1f511}');
  });
});

describe('parseClientData', () => {
  it.each(W3C_CLIENT_DATA.filter((v) => v.challenge !== undefined))(
    'reads the W3C $name challenge back to its bytes',
    ({ json, challenge }) => {
      const parsed = parseClientData(json);
      expect(parsed.origin).toBe('https://example.org');
      expect(parsed.crossOrigin).toBe(false);
      expect(toHex(decodeBase64Url(parsed.challenge))).toBe(toHex(challenge));
    },
  );

  it('defaults crossOrigin to false when it is absent', () => {
    const parsed = parseClientData(DESERIALIZE_NO_CROSS_ORIGIN);
    expect(parsed).toEqual({
      type: 'webauthn.create',
      challenge: 'FsxBWwUb1jOFRA3ILdkCsPdCZkzohvd3JrCNeDqWpJQ',
      origin: 'http://localhost:8080',
      crossOrigin: false,
    });
    expect(toHex(decodeBase64Url(parsed.challenge))).toBe(
      toHex(DESERIALIZE_NO_CROSS_ORIGIN_CHALLENGE),
    );
  });

  it('accepts members in any order', () => {
    const parsed = parseClientData(DESERIALIZE_OTHER_ORDER);
    expect(parsed.type).toBe('webauthn.create');
    expect(parsed.origin).toBe('https://demo.yubico.com');
    expect(toHex(decodeBase64Url(parsed.challenge))).toBe(toHex(DESERIALIZE_OTHER_ORDER_CHALLENGE));
  });

  it('ignores members it does not know, such as CTAP 2.0 tokenBinding', () => {
    const parsed = parseClientData(CTAP20_CLIENT_DATA_JSON);
    expect(parsed).toEqual({
      type: 'webauthn.create',
      challenge: 'AAECAw',
      origin: 'example.com',
      crossOrigin: false,
    });
  });

  it.each([
    ['not JSON', '{"type":', 'not valid JSON'],
    ['an array', '[]', 'not a JSON object'],
    ['a wrong type', '{"type":"payment.get","challenge":"AA","origin":"o"}', '"payment.get"'],
    ['a missing challenge', '{"type":"webauthn.get","origin":"o"}', 'challenge and origin'],
    [
      'a string crossOrigin',
      '{"type":"webauthn.get","challenge":"AA","origin":"o","crossOrigin":"no"}',
      'crossOrigin',
    ],
    [
      'a numeric topOrigin',
      '{"type":"webauthn.get","challenge":"AA","origin":"o","topOrigin":1}',
      'topOrigin',
    ],
  ])('refuses %s with INVALID_CLIENT_DATA', (_what, json, hint) => {
    const error = caught(WebAuthnEncodingError, () => parseClientData(json));
    expect(error.code).toBe('INVALID_CLIENT_DATA');
    expect(error.message).toContain(hint);
  });

  it('refuses bytes that are not UTF-8 with INVALID_CLIENT_DATA', () => {
    const error = caught(WebAuthnEncodingError, () =>
      parseClientData(Uint8Array.of(0x7b, 0xff, 0x7d)),
    );
    expect(error.code).toBe('INVALID_CLIENT_DATA');
    expect(error.message).toContain('UTF-8');
  });
});
