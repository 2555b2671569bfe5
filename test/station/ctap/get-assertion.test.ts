import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex, utf8 } from '../../../core/bytes.ts';
import { decodeCanonical, encodeCanonical } from '../../../core/cbor/canonical-cbor.ts';
import { CborError } from '../../../core/cbor/cbor-error.ts';
import type { CborKey, CborValue } from '../../../core/cbor/cbor-value.ts';
import {
  encodeGetAssertionRequest,
  parseGetAssertionResponse,
} from '../../../station/ctap/get-assertion.ts';
import { caught } from '../../support/caught.ts';
import { CBOR_ASSERT_PAYLOAD } from '../../vectors/libfido2-wiredata.ts';
import { GET_ASSERTION_SAMPLE_RESPONSE } from '../../vectors/mozilla-authenticator-rs.ts';
import * as pf from '../../vectors/python-fido2.ts';

const hexOf = (text: string): string => toHex(utf8(text));
const decodeMap = (cbor: Uint8Array): Map<CborKey, CborValue> =>
  decodeCanonical(cbor) as Map<CborKey, CborValue>;
const CDH = fromHex('687134968222ec17202e42505f8ed2b16ae22f16bb05b88c25db9e602645f141');

describe('parseGetAssertionResponse', () => {
  it('reads python-fido2 _GA_RESP: credential, UP, counter 29, signature, no user', () => {
    const response = parseGetAssertionResponse(decodeCanonical(pf.GA_RESP));
    expect(response.credential).toEqual({ type: 'public-key', id: pf.CRED_ID });
    expect(toHex(response.authData)).toBe(toHex(pf.AUTH_DATA_GA));
    expect(response.authenticatorData.flags).toBe(0x01);
    expect(response.authenticatorData.signCount).toBe(29);
    expect(toHex(response.signature)).toBe(toHex(pf.SIGNATURE));
    expect(response.user).toBeUndefined();
    expect(response.numberOfCredentials).toBeUndefined();
    expect(response.unknown.size).toBe(0);
  });

  it('reads the CTAP 2.0 spec sample with its user and numberOfCredentials', () => {
    const response = parseGetAssertionResponse(
      decodeCanonical(GET_ASSERTION_SAMPLE_RESPONSE.subarray(1)),
    );
    expect(response.user).toEqual({
      id: fromHex('3082019330820138a0030201023082019330820138a003020102308201933082'),
      name: 'johnpsmith@example.com',
      displayName: 'John P. Smith',
    });
    expect(response.numberOfCredentials).toBe(1);
    expect(response.authenticatorData.signCount).toBe(17);
    expect(response.credential!.id).toHaveLength(64);
  });

  it('reads the libfido2 capture: UV without UP, counter 9, for localhost', () => {
    const response = parseGetAssertionResponse(decodeCanonical(CBOR_ASSERT_PAYLOAD.subarray(1)));
    const data = response.authenticatorData;
    expect(toHex(data.rpIdHash)).toBe(createHash('sha256').update('localhost').digest('hex'));
    expect(data.flags).toBe(0x04);
    expect([data.userPresent, data.userVerified]).toEqual([false, true]);
    expect(data.signCount).toBe(9);
    expect(response.signature[0]).toBe(0x30);
  });

  it('reads userSelected and largeBlobKey, and keeps unknown keys', () => {
    const map = decodeMap(pf.GA_RESP);
    map.set(6, true);
    map.set(7, new Uint8Array(32).fill(3));
    map.set(0x0b, 1);
    const response = parseGetAssertionResponse(map);
    expect(response.userSelected).toBe(true);
    expect(response.largeBlobKey).toEqual(new Uint8Array(32).fill(3));
    expect(response.unknown).toEqual(new Map([[0x0b, 1]]));
  });

  it('names what is wrong with a malformed answer', () => {
    const noSignature = decodeMap(pf.GA_RESP);
    noSignature.delete(3);
    expect(caught(CborError, () => parseGetAssertionResponse(noSignature)).message).toBe(
      'getAssertion response: required signature (key 3) is missing.',
    );
    const badUser = decodeMap(pf.GA_RESP);
    badUser.set(4, new Map([['id', 'not bytes']]));
    expect(caught(CborError, () => parseGetAssertionResponse(badUser)).message).toBe(
      'getAssertion response: user: "id" must be a byte string, got a text string.',
    );
  });
});

describe('encodeGetAssertionRequest', () => {
  it('writes rpId and clientDataHash under keys 1 and 2 and nothing else when that is all', () => {
    const request = encodeGetAssertionRequest({
      rpId: 'example.com',
      clientDataHash: CDH,
      allowList: [],
      extensions: {},
      options: { up: undefined, uv: undefined },
    });
    expect(toHex(encodeCanonical(request))).toBe(
      `a2016b${hexOf('example.com')}025820${toHex(CDH)}`,
    );
  });

  it('encodes allowList, options and the PIN/UV parameters with their integer keys', () => {
    const request = encodeGetAssertionRequest({
      rpId: 'example.com',
      clientDataHash: CDH,
      allowList: [{ type: 'public-key', id: pf.CRED_ID, transports: ['usb', 'nfc'] }],
      options: { up: false },
      pinUvAuthParam: pf.SET_PIN_AUTH_PARAM,
      pinUvAuthProtocol: 1,
    });
    const descriptor =
      `a3626964 5840${toHex(pf.CRED_ID)} 64747970656a${hexOf('public-key')} ` +
      `6a${hexOf('transports')}82 63${hexOf('usb')} 63${hexOf('nfc')}`;
    expect(toHex(encodeCanonical(request))).toBe(
      [
        'a6',
        `016b${hexOf('example.com')}`,
        `025820${toHex(CDH)}`,
        `0381${descriptor}`,
        `05a1627570f4`,
        `0650${toHex(pf.SET_PIN_AUTH_PARAM)}`,
        '0701',
      ]
        .join('')
        .replace(/ /g, ''),
    );
  });

  it('orders extension inputs canonically', () => {
    const request = encodeGetAssertionRequest({
      rpId: 'a',
      clientDataHash: CDH,
      extensions: {
        largeBlobKey: true,
        credBlob: true,
        'hmac-secret': new Map([
          [4, 2],
          [1, 0],
        ]),
      },
    });
    const extensions = decodeMap(encodeCanonical(request)).get(4) as Map<string, CborValue>;
    expect([...extensions.keys()]).toEqual(['credBlob', 'hmac-secret', 'largeBlobKey']);
    expect([...(extensions.get('hmac-secret') as Map<number, number>).keys()]).toEqual([1, 4]);
  });
});
