import { describe, expect, it } from 'vitest';
import { concatBytes, toHex } from '../../../core/bytes.ts';
import { decodeCanonical, encodeCanonical } from '../../../core/cbor/canonical-cbor.ts';
import { CborError } from '../../../core/cbor/cbor-error.ts';
import type { CborValue } from '../../../core/cbor/cbor-value.ts';
import { parseCoseKey } from '../../../core/webauthn/cose-key.ts';
import { WebAuthnEncodingError } from '../../../core/webauthn/webauthn-encoding-error.ts';
import {
  ClientPinSubCommand as Sub,
  encodeClientPinRequest,
  parseClientPinResponse,
  type ClientPinRequest,
} from '../../../station/ctap/client-pin-command.ts';
import { caught } from '../../support/caught.ts';
import * as kanidm from '../../vectors/kanidm.ts';
import * as libfido2 from '../../vectors/libfido2-wiredata.ts';

/** Command byte 0x06 ‖ canonical CBOR of the request. */
const wire = (request: ClientPinRequest): string =>
  toHex(concatBytes([Uint8Array.of(0x06), encodeCanonical(encodeClientPinRequest(request))]));
const parseAnswer = (payload: Uint8Array): ReturnType<typeof parseClientPinResponse> => {
  expect(payload[0]).toBe(0);
  return parseClientPinResponse(decodeCanonical(payload.subarray(1)));
};

describe('clientPIN requests (kanidm)', () => {
  it('encodes getPINRetries and getKeyAgreement', () => {
    expect(wire({ pinUvAuthProtocol: 1, subCommand: Sub.GET_PIN_RETRIES })).toBe(
      toHex(kanidm.CLIENT_PIN_GET_RETRIES_REQUEST),
    );
    expect(wire({ pinUvAuthProtocol: 2, subCommand: Sub.GET_KEY_AGREEMENT })).toBe(
      toHex(kanidm.CLIENT_PIN_GET_KEY_AGREEMENT_REQUEST),
    );
  });

  it.each([
    ['getPinToken', kanidm.CLIENT_PIN_GET_PIN_TOKEN_REQUEST],
    ['getPinUvAuthTokenUsingUvWithPermissions', kanidm.CLIENT_PIN_GET_TOKEN_USING_UV_REQUEST],
    ['setPIN', kanidm.CLIENT_PIN_SET_PIN_REQUEST],
  ])('re-encodes the %s request from its decoded members byte for byte', (_name, bytes) => {
    const map = decodeCanonical(bytes.subarray(1)) as Map<number, unknown>;
    const request: ClientPinRequest = {
      pinUvAuthProtocol: map.get(1) as number,
      subCommand: map.get(2) as number,
      keyAgreement: parseCoseKey(map.get(3) as CborValue),
      ...(map.has(4) ? { pinUvAuthParam: map.get(4) as Uint8Array } : {}),
      ...(map.has(5) ? { newPinEnc: map.get(5) as Uint8Array } : {}),
      ...(map.has(6) ? { pinHashEnc: map.get(6) as Uint8Array } : {}),
      ...(map.has(9) ? { permissions: map.get(9) as number } : {}),
      ...(map.has(10) ? { rpId: map.get(10) as string } : {}),
    };
    expect(wire(request)).toBe(toHex(bytes));
  });

  it('puts permissions and rpId under keys 9 and 10', () => {
    const map = decodeCanonical(kanidm.CLIENT_PIN_GET_TOKEN_USING_UV_REQUEST.subarray(1)) as Map<
      number,
      unknown
    >;
    expect([map.get(2), map.get(9), map.get(10)]).toEqual([
      Sub.GET_PIN_UV_AUTH_TOKEN_USING_UV_WITH_PERMISSIONS,
      2,
      'localhost',
    ]);
  });
});

describe('clientPIN answers', () => {
  it('reads pinRetries 8 from kanidm and from libfido2', () => {
    expect(
      parseClientPinResponse(decodeCanonical(kanidm.CLIENT_PIN_GET_RETRIES_RESPONSE)).pinRetries,
    ).toBe(8);
    expect(parseAnswer(libfido2.CBOR_RETRIES_PAYLOAD)).toEqual({
      pinRetries: 8,
      unknown: new Map(),
    });
  });

  it.each([
    [
      'libfido2 WIREDATA_CTAP_CBOR_AUTHKEY',
      libfido2.CBOR_AUTHKEY_PAYLOAD,
      '2ab82d3669ab309de35e9bfb94fc1d9295af0147fe4b87e5cf3f050b39da1749',
    ],
    [
      'YubiKey fw 5.1.2 (libfido2 #42)',
      libfido2.ISSUE_42_KEY_AGREEMENT_PAYLOAD,
      'd3f766ea4adde2898e5ffd6b6b0d416503be5343f36fd78898043dd3657dc69a',
    ],
    [
      'YubiKey, protocol 2 (libfido2 #763)',
      libfido2.ISSUE_763_KEY_AGREEMENT_PAYLOAD,
      '41005a6e82ca894f81961b1e69c756fb39656e8881637cd50196c3903327b3a0',
    ],
  ])('reads the key-agreement key from %s', (_name, payload, x) => {
    const key = parseAnswer(payload).keyAgreement!;
    expect(key).toMatchObject({ kty: 2, alg: -25, crv: 1 });
    expect(toHex(key.x)).toBe(x);
  });

  it('reads encrypted tokens of 16 (protocol 1) and 48 (protocol 2) bytes', () => {
    expect(parseAnswer(libfido2.CBOR_PINTOKEN_PAYLOAD).pinUvAuthToken).toHaveLength(16);
    expect(
      parseClientPinResponse(decodeCanonical(kanidm.CLIENT_PIN_GET_PIN_TOKEN_RESPONSE))
        .pinUvAuthToken,
    ).toHaveLength(48);
  });

  it('gives an empty response for a status-only answer (setPIN, changePIN)', () => {
    expect(parseClientPinResponse(undefined)).toEqual({ unknown: new Map() });
  });

  it('refuses a key-agreement key with a short coordinate, and a pinRetries sent as text', () => {
    const map = decodeCanonical(kanidm.CLIENT_PIN_GET_KEY_AGREEMENT_RESPONSE) as Map<
      number,
      Map<number, unknown>
    >;
    map.get(1)!.set(-3, new Uint8Array(31));
    expect(caught(WebAuthnEncodingError, () => parseClientPinResponse(map as never)).code).toBe(
      'INVALID_COSE_KEY',
    );
    const error = caught(CborError, () => parseClientPinResponse(new Map([[3, '8']])));
    expect(error.message).toBe(
      'clientPIN response: pinRetries (key 3) must be an unsigned integer, got a text string.',
    );
  });
});
