import { X509Certificate, createHash, generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { WebAuthnEncodingError } from '../../../core/webauthn/webauthn-encoding-error.ts';
import { concatBytes, fromHex, toHex } from '../../../core/bytes.ts';
import { decodeCanonical, encodeCanonical } from '../../../core/cbor/canonical-cbor.ts';
import { parseAttestationObject } from '../../../core/webauthn/attestation-object.ts';
import { parseAuthenticatorData } from '../../../core/webauthn/authenticator-data.ts';
import {
  CoseAlgorithm,
  coseKeyFromPublicKey,
  coseKeyToPublicKey,
  encodeCoseKey,
  parseCoseKey,
  verifyCoseSignature,
  type CoseEc2Key,
} from '../../../core/webauthn/cose-key.ts';
import * as pf from '../../vectors/python-fido2.ts';
import * as w3c from '../../vectors/w3c-webauthn.ts';
import { caught } from '../../support/caught.ts';

const sha256 = (bytes: Uint8Array): Uint8Array =>
  new Uint8Array(createHash('sha256').update(bytes).digest());

function credentialKey(attestationObject: Uint8Array): CoseEc2Key {
  const authData = parseAttestationObject(attestationObject).authData;
  return parseAuthenticatorData(authData).attestedCredentialData!.publicKey as CoseEc2Key;
}

describe('COSE keys from published vectors', () => {
  it('parses python-fido2 _PUB_KEY and encodes it back to the same bytes', () => {
    const key = parseCoseKey(decodeCanonical(pf.PUB_KEY_COSE));
    expect(key).toMatchObject({ kty: 2, alg: CoseAlgorithm.ES256, crv: 1 });
    expect(toHex(encodeCanonical(encodeCoseKey(key)))).toBe(toHex(pf.PUB_KEY_COSE));
  });

  it('imports the W3C none.ES256 credential key as a P-256 public key', () => {
    const key = coseKeyToPublicKey(credentialKey(w3c.NONE_ATTESTATION_OBJECT));
    expect(key.asymmetricKeyType).toBe('ec');
    expect(key.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
  });

  it('converts a certificate key to COSE with the same coordinates', () => {
    const cert = new X509Certificate(w3c.PACKED_ATT_X5C_0);
    const key = coseKeyFromPublicKey(cert.publicKey, CoseAlgorithm.ES256) as CoseEc2Key;
    // The SubjectPublicKeyInfo ends with the uncompressed point 04 ‖ x ‖ y.
    const spki = cert.publicKey.export({ format: 'der', type: 'spki' });
    expect(toHex(concatBytes([Uint8Array.of(4), key.x, key.y]))).toBe(toHex(spki.subarray(-65)));
  });
});

describe('verifyCoseSignature', () => {
  it('verifies the W3C packed-self attestation over authData ‖ clientDataHash', () => {
    const object = parseAttestationObject(w3c.PACKED_SELF_ATTESTATION_OBJECT);
    const key = credentialKey(w3c.PACKED_SELF_ATTESTATION_OBJECT);
    const signed = concatBytes([object.authData, w3c.PACKED_SELF_CLIENT_DATA_HASH]);
    expect(verifyCoseSignature(key, signed, object.attStmt.get('sig') as Uint8Array)).toBe(true);
    const tampered = new Uint8Array(signed);
    tampered[32] = tampered[32]! ^ 0x01;
    expect(verifyCoseSignature(key, tampered, object.attStmt.get('sig') as Uint8Array)).toBe(false);
  });

  it.each([
    [
      'none.ES256',
      w3c.NONE_ATTESTATION_OBJECT,
      w3c.NONE_GET_AUTHENTICATOR_DATA,
      w3c.NONE_GET_CLIENT_DATA_JSON,
      w3c.NONE_GET_SIGNATURE,
    ],
    [
      'packed-self.ES256',
      w3c.PACKED_SELF_ATTESTATION_OBJECT,
      w3c.PACKED_SELF_GET_AUTHENTICATOR_DATA,
      w3c.PACKED_SELF_GET_CLIENT_DATA_JSON,
      w3c.PACKED_SELF_GET_SIGNATURE,
    ],
    [
      'packed.ES256',
      w3c.PACKED_ATTESTATION_OBJECT,
      w3c.PACKED_GET_AUTHENTICATOR_DATA,
      w3c.PACKED_GET_CLIENT_DATA_JSON,
      w3c.PACKED_GET_SIGNATURE,
    ],
  ])(
    'verifies the W3C %s assertion with the registered credential key',
    (_name, object, authData, clientData, signature) => {
      const key = credentialKey(object);
      const signed = concatBytes([authData, sha256(clientData)]);
      expect(verifyCoseSignature(key, signed, signature)).toBe(true);
      expect(verifyCoseSignature(key, signed.subarray(1), signature)).toBe(false);
    },
  );

  it('verifies an Ed25519 (OKP) signature and round-trips the key through COSE', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const key = coseKeyFromPublicKey(publicKey, CoseAlgorithm.EdDSA);
    expect(key).toMatchObject({ kty: 1, crv: 6, alg: -8 });
    const encoded = encodeCanonical(encodeCoseKey(key));
    expect(toHex(encoded.subarray(0, 7))).toBe('a4010103272006');
    const data = Uint8Array.of(1, 2, 3);
    const signature = new Uint8Array(sign(null, data, privateKey));
    expect(verifyCoseSignature(parseCoseKey(decodeCanonical(encoded)), data, signature)).toBe(true);
  });

  it('refuses an EC2 key whose algorithm is not ES256', () => {
    const key = { ...credentialKey(w3c.NONE_ATTESTATION_OBJECT), alg: -35 };
    const error = caught(WebAuthnEncodingError, () =>
      verifyCoseSignature(key, new Uint8Array(1), new Uint8Array(8)),
    );
    expect(error.code).toBe('INVALID_COSE_KEY');
    expect(error.message).toContain('-35');
  });
});

describe('COSE keys that must be refused', () => {
  it('refuses a point that is not on P-256', () => {
    const key = credentialKey(w3c.NONE_ATTESTATION_OBJECT);
    const offCurve = { ...key, y: fromHex(toHex(key.y).slice(0, -2) + '00') };
    const error = caught(WebAuthnEncodingError, () => coseKeyToPublicKey(offCurve));
    expect(error.code).toBe('INVALID_COSE_KEY');
  });

  it('refuses a key type it does not support, naming kty and curve', () => {
    // RSA-ish: kty 3 is not EC2/OKP.
    const map = new Map<number, number | Uint8Array>([
      [1, 3],
      [3, -257],
      [-1, 1],
      [-2, new Uint8Array(32)],
    ]);
    const error = caught(WebAuthnEncodingError, () => parseCoseKey(map));
    expect(error.code).toBe('INVALID_COSE_KEY');
    expect(error.message).toContain('key type 3');
  });

  it('refuses a 31-byte x coordinate, naming the member', () => {
    const map = decodeCanonical(pf.PUB_KEY_COSE) as Map<number, Uint8Array | number>;
    map.set(-2, new Uint8Array(31));
    const error = caught(WebAuthnEncodingError, () => parseCoseKey(map, 'credential public key'));
    expect(error.code).toBe('INVALID_COSE_KEY');
    expect(error.message).toContain(
      'credential public key: x (key -2) must be a byte string of 32 bytes',
    );
  });
});
