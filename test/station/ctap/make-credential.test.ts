import { X509Certificate, createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex, utf8 } from '../../../core/bytes.ts';
import { decodeCanonical, encodeCanonical } from '../../../core/cbor/canonical-cbor.ts';
import { CborError } from '../../../core/cbor/cbor-error.ts';
import type { CborKey, CborValue } from '../../../core/cbor/cbor-value.ts';
import { WebAuthnEncodingError } from '../../../core/webauthn/webauthn-encoding-error.ts';
import {
  encodeMakeCredentialRequest,
  parseMakeCredentialResponse,
  type MakeCredentialRequest,
} from '../../../station/ctap/make-credential.ts';
import { caught } from '../../support/caught.ts';
import { CBOR_CRED_PAYLOAD } from '../../vectors/libfido2-wiredata.ts';
import * as mozilla from '../../vectors/mozilla-authenticator-rs.ts';
import * as pf from '../../vectors/python-fido2.ts';

const hexOf = (text: string): string => toHex(utf8(text));
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
const decodeMap = (cbor: Uint8Array): Map<CborKey, CborValue> =>
  decodeCanonical(cbor) as Map<CborKey, CborValue>;

describe('parseMakeCredentialResponse', () => {
  it('reads python-fido2 _MC_RESP: packed, UP|AT, counter 28, one x5c certificate', () => {
    const response = parseMakeCredentialResponse(decodeCanonical(pf.MC_RESP));
    expect(response.fmt).toBe('packed');
    expect(toHex(response.authData)).toBe(toHex(pf.AUTH_DATA_MC));
    expect(response.authenticatorData.flags).toBe(0x41);
    expect(response.authenticatorData.signCount).toBe(28);
    const credential = response.authenticatorData.attestedCredentialData!;
    expect(toHex(credential.credentialId)).toBe(toHex(pf.CRED_ID));
    expect(toHex(credential.aaguid)).toBe(toHex(pf.AAGUID));
    expect([...response.attStmt.keys()]).toEqual(['alg', 'sig', 'x5c']);
    expect(response.attStmt.get('alg')).toBe(-7);
    expect(response.attStmt.get('sig')).toHaveLength(72);
    const x5c = response.attStmt.get('x5c') as Uint8Array[];
    expect(x5c).toHaveLength(1);
    expect(new X509Certificate(x5c[0]!).subject).toContain('O=Yubico Test');
    expect(response.epAtt).toBeUndefined();
    expect(response.largeBlobKey).toBeUndefined();
    expect(response.unknown.size).toBe(0);
  });

  it('reads the libfido2 capture: UP|UV|AT for localhost, counter 0, expired preview cert', () => {
    expect(CBOR_CRED_PAYLOAD[0]).toBe(0);
    const response = parseMakeCredentialResponse(decodeCanonical(CBOR_CRED_PAYLOAD.subarray(1)));
    const data = response.authenticatorData;
    expect(toHex(data.rpIdHash)).toBe(sha256('localhost'));
    expect(data.flags).toBe(0x45);
    expect([data.userPresent, data.userVerified]).toEqual([true, true]);
    expect(data.signCount).toBe(0);
    expect(data.attestedCredentialData!.credentialId).toHaveLength(64);
    const cert = new X509Certificate((response.attStmt.get('x5c') as Uint8Array[])[0]!);
    expect(cert.issuer).toContain('CN=Yubico FIDO Preview CA');
    expect(cert.validTo).toContain('2018');
  });

  it('reads the CTAP 2.0 spec sample with a 16-byte credential id and counter 11', () => {
    const payload = mozilla.MAKE_CREDENTIALS_SAMPLE_RESPONSE;
    const response = parseMakeCredentialResponse(decodeCanonical(payload.subarray(1)));
    expect(response.authenticatorData.signCount).toBe(11);
    expect(toHex(response.authenticatorData.attestedCredentialData!.credentialId)).toBe(
      '8959cead5b5c48164e8abcd6d9435c6f',
    );
  });

  it('reads epAtt, largeBlobKey and unsigned extension outputs, and keeps unknown keys', () => {
    const map = decodeMap(pf.MC_RESP);
    map.set(4, true);
    map.set(5, new Uint8Array(32).fill(7));
    map.set(6, new Map([['hmac-secret-mc', new Uint8Array(32)]]));
    map.set(0x20, 'future');
    const response = parseMakeCredentialResponse(map);
    expect(response.epAtt).toBe(true);
    expect(response.largeBlobKey).toEqual(new Uint8Array(32).fill(7));
    expect([...response.unsignedExtensionOutputs!.keys()]).toEqual(['hmac-secret-mc']);
    expect(response.unknown).toEqual(new Map([[0x20, 'future']]));
  });

  it('names a wrongly typed member', () => {
    const map = decodeMap(pf.MC_RESP);
    map.set(1, 7);
    const error = caught(CborError, () => parseMakeCredentialResponse(map));
    expect(error.code).toBe('CBOR_UNEXPECTED_TYPE');
    expect(error.message).toBe(
      'makeCredential response: fmt (key 1) must be a text string, got an integer.',
    );
  });

  it('refuses authData with trailing bytes', () => {
    const map = decodeMap(pf.MC_RESP);
    map.set(2, fromHex(`${toHex(pf.AUTH_DATA_MC)}00`));
    expect(caught(WebAuthnEncodingError, () => parseMakeCredentialResponse(map)).code).toBe(
      'INVALID_AUTHENTICATOR_DATA',
    );
  });
});

describe('encodeMakeCredentialRequest', () => {
  const SAMPLE: MakeCredentialRequest = {
    clientDataHash: mozilla.CLIENT_DATA_HASH,
    rp: { id: 'example.com', name: 'Acme' },
    user: {
      id: fromHex('3082019330820138a0030201023082019330820138a003020102308201933082'),
      name: 'johnpsmith@example.com',
      displayName: 'John P. Smith',
    },
    pubKeyCredParams: [
      { type: 'public-key', alg: -7 },
      { type: 'public-key', alg: -257 },
    ],
    options: { rk: true },
  };

  it('reproduces the CTAP 2.0 spec sample request byte for byte', () => {
    expect(toHex(encodeCanonical(encodeMakeCredentialRequest(SAMPLE)))).toBe(
      toHex(mozilla.MAKE_CREDENTIALS_SAMPLE_REQUEST),
    );
    expect(createHash('sha256').update(mozilla.CLIENT_DATA_JSON).digest('hex')).toBe(
      toHex(mozilla.CLIENT_DATA_HASH),
    );
  });

  it('leaves out empty and absent optional members', () => {
    const minimal = encodeMakeCredentialRequest({
      clientDataHash: new Uint8Array(32),
      rp: { id: 'login.microsoft.com' },
      user: { id: Uint8Array.of(1) },
      pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
      excludeList: [],
      extensions: {},
      options: { rk: undefined },
    });
    expect(toHex(encodeCanonical(minimal))).toBe(
      'a4' +
        `015820${'00'.repeat(32)}` +
        `02a162696473${hexOf('login.microsoft.com')}` +
        '03a16269644101' +
        `0481a263616c672664747970656a${hexOf('public-key')}`,
    );
  });

  it('puts every member under its CTAP 2.1 integer key, in order', () => {
    const full = encodeMakeCredentialRequest({
      ...SAMPLE,
      excludeList: [{ type: 'public-key', id: Uint8Array.of(0xab), transports: ['usb'] }],
      extensions: { credProtect: 2, 'hmac-secret': true },
      options: { rk: true, uv: false },
      pinUvAuthParam: new Uint8Array(32).fill(1),
      pinUvAuthProtocol: 2,
      enterpriseAttestation: 1,
    });
    const decoded = decodeMap(encodeCanonical(full));
    expect([...decoded.keys()]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(toHex(encodeCanonical(decoded.get(5)!))).toBe(
      `81a3626964 41ab 64747970656a${hexOf('public-key')}6a${hexOf('transports')}8163${hexOf('usb')}`.replace(
        / /g,
        '',
      ),
    );
    expect(decoded.get(6)).toEqual(
      new Map<string, CborValue>([
        ['credProtect', 2],
        ['hmac-secret', true],
      ]),
    );
    expect(decoded.get(7)).toEqual(
      new Map([
        ['rk', true],
        ['uv', false],
      ]),
    );
    expect([decoded.get(9), decoded.get(10)]).toEqual([2, 1]);
  });
});
