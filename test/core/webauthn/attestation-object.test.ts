import { X509Certificate, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { concatBytes, fromHex, toHex } from '../../../core/bytes.ts';
import { decodeCanonical } from '../../../core/cbor/canonical-cbor.ts';
import type { CborValue } from '../../../core/cbor/cbor-value.ts';
import {
  encodeAttestationObject,
  parseAttestationObject,
} from '../../../core/webauthn/attestation-object.ts';
import { WebAuthnEncodingError } from '../../../core/webauthn/webauthn-encoding-error.ts';
import * as pf from '../../vectors/python-fido2.ts';
import * as w3c from '../../vectors/w3c-webauthn.ts';
import { caught } from '../../support/caught.ts';

const attestationError = (bytes: Uint8Array): WebAuthnEncodingError =>
  caught(WebAuthnEncodingError, () => parseAttestationObject(bytes));

describe('parseAttestationObject with W3C vectors', () => {
  it('reads none.ES256: fmt "none", empty attStmt, 164-byte authData', () => {
    const object = parseAttestationObject(w3c.NONE_ATTESTATION_OBJECT);
    expect(object.fmt).toBe('none');
    expect(object.attStmt.size).toBe(0);
    expect(object.authData).toHaveLength(164);
    expect(toHex(object.authData.subarray(0, 32))).toBe(toHex(w3c.RP_ID_HASH));
  });

  it('reads packed-self.ES256: alg -7 and a signature, no certificate', () => {
    const object = parseAttestationObject(w3c.PACKED_SELF_ATTESTATION_OBJECT);
    expect(object.fmt).toBe('packed');
    expect([...object.attStmt.keys()]).toEqual(['alg', 'sig']);
    expect(object.attStmt.get('alg')).toBe(-7);
    expect(toHex(object.attStmt.get('sig') as Uint8Array)).toBe(toHex(w3c.PACKED_SELF_ATT_SIG));
  });

  it('reads packed.ES256 with its x5c chain of one certificate', () => {
    const object = parseAttestationObject(w3c.PACKED_ATTESTATION_OBJECT);
    const x5c = object.attStmt.get('x5c') as Uint8Array[];
    expect(x5c).toHaveLength(1);
    expect(toHex(x5c[0]!)).toBe(toHex(w3c.PACKED_ATT_X5C_0));
    expect(new X509Certificate(x5c[0]!).subject).toContain('CN=WebAuthn test vectors');
  });

  it.each([
    ['none.ES256', w3c.NONE_ATTESTATION_OBJECT],
    ['packed-self.ES256', w3c.PACKED_SELF_ATTESTATION_OBJECT],
    ['packed.ES256', w3c.PACKED_ATTESTATION_OBJECT],
  ])('re-encodes %s byte for byte', (_name, bytes) => {
    expect(toHex(encodeAttestationObject(parseAttestationObject(bytes)))).toBe(toHex(bytes));
  });

  it('verifies the packed.ES256 attestation signature with the x5c certificate', () => {
    const object = parseAttestationObject(w3c.PACKED_ATTESTATION_OBJECT);
    const certificate = new X509Certificate((object.attStmt.get('x5c') as Uint8Array[])[0]!);
    const signed = concatBytes([object.authData, w3c.PACKED_CLIENT_DATA_HASH]);
    const sig = object.attStmt.get('sig') as Uint8Array;
    expect(verify('sha256', signed, certificate.publicKey, sig)).toBe(true);
    expect(verify('sha256', signed, certificate.publicKey, w3c.PACKED_SELF_ATT_SIG)).toBe(false);
  });
});

describe('attestationObject from a CTAP makeCredential response', () => {
  it('turns python-fido2 test_packed_attestation into an attestationObject that verifies', () => {
    const response = decodeCanonical(pf.PACKED_RESPONSE) as Map<number, CborValue>;
    const bytes = encodeAttestationObject({
      fmt: response.get(1) as string,
      authData: response.get(2) as Uint8Array,
      attStmt: response.get(3) as Map<string, CborValue>,
    });
    // Canonical order is fmt, attStmt, authData: "fmt" (3 chars) sorts before the 7- and 8-char keys.
    expect(toHex(bytes.subarray(0, 12))).toBe('a363666d74667061636b6564');
    const object = parseAttestationObject(bytes);
    expect(toHex(object.authData)).toBe(toHex(pf.PACKED_AUTH_DATA));
    const [cert] = object.attStmt.get('x5c') as Uint8Array[];
    expect(toHex(cert!)).toBe(toHex(pf.PACKED_X5C_0));
    const signed = concatBytes([object.authData, pf.PACKED_CLIENT_DATA_HASH]);
    const key = new X509Certificate(cert!).publicKey;
    expect(verify('sha256', signed, key, object.attStmt.get('sig') as Uint8Array)).toBe(true);
  });
});

describe('attestationObject that must be refused', () => {
  it('refuses an attStmt that is not a map', () => {
    // {"fmt": "none", "attStmt": [], "authData": h'00'}
    const error = attestationError(
      fromHex('a363666d74646e6f6e656761747453746d748068617574684461746141' + '00'),
    );
    expect(error.code).toBe('INVALID_ATTESTATION_OBJECT');
    expect(error.message).toContain('"attStmt" must be a map');
  });

  it('refuses a missing authData, naming it', () => {
    const error = attestationError(fromHex('a263666d74646e6f6e656761747453746d74a0'));
    expect(error.code).toBe('INVALID_ATTESTATION_OBJECT');
    expect(error.message).toContain('authData');
  });

  it('refuses non-canonical CBOR, keeping the CBOR error as the cause', () => {
    const reordered = fromHex(
      'a368617574684461746141' + '00' + '63666d74646e6f6e656761747453746d74a0',
    );
    const error = attestationError(reordered);
    expect(error.code).toBe('INVALID_ATTESTATION_OBJECT');
    expect(error.message).toContain('out of canonical order');
    expect((error.cause as { code?: string }).code).toBe('CBOR_NON_CANONICAL');
  });
});
