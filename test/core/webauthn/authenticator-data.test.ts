import { describe, expect, it } from 'vitest';
import { concatBytes, fromHex, toHex } from '../../../core/bytes.ts';
import { encodeCanonical } from '../../../core/cbor/canonical-cbor.ts';
import type { CborInput } from '../../../core/cbor/cbor-value.ts';
import {
  AuthenticatorDataFlag,
  encodeAuthenticatorData,
  parseAuthenticatorData,
} from '../../../core/webauthn/authenticator-data.ts';
import { encodeCoseKey } from '../../../core/webauthn/cose-key.ts';
import { WebAuthnEncodingError } from '../../../core/webauthn/webauthn-encoding-error.ts';
import * as pf from '../../vectors/python-fido2.ts';
import * as w3c from '../../vectors/w3c-webauthn.ts';
import { parseAttestationObject } from '../../../core/webauthn/attestation-object.ts';
import { caught } from '../../support/caught.ts';

const authDataError = (bytes: Uint8Array): WebAuthnEncodingError =>
  caught(WebAuthnEncodingError, () => parseAuthenticatorData(bytes));

describe('parseAuthenticatorData with python-fido2 vectors', () => {
  it('reads _AUTH_DATA_MC: UP and AT, counter 28, AAGUID, 64-byte credential id, ES256 key', () => {
    const data = parseAuthenticatorData(pf.AUTH_DATA_MC);
    expect(toHex(data.rpIdHash)).toBe(toHex(pf.RP_ID_HASH));
    expect(data.flags).toBe(0x41);
    expect([data.userPresent, data.userVerified, data.backupEligible, data.backedUp]).toEqual([
      true,
      false,
      false,
      false,
    ]);
    expect(data.signCount).toBe(28);
    const credential = data.attestedCredentialData!;
    expect(toHex(credential.aaguid)).toBe(toHex(pf.AAGUID));
    expect(toHex(credential.credentialId)).toBe(toHex(pf.CRED_ID));
    expect(credential.credentialId).toHaveLength(64);
    expect(toHex(credential.publicKeyBytes)).toBe(toHex(pf.PUB_KEY_COSE));
    expect(credential.publicKey).toEqual({
      kty: 2,
      alg: -7,
      crv: 1,
      x: fromHex('643566c206dd00227005fa5de69320616ca268043a38f08bde2e9dc45a5cafaf'),
      y: fromHex('171353b2932434703726aae579fa6542432861fe591e481ea22d63997e1a5290'),
    });
    expect(data.extensions).toBeUndefined();
  });

  it('reads _AUTH_DATA_GA: UP only, counter 29, no credential', () => {
    const data = parseAuthenticatorData(pf.AUTH_DATA_GA);
    expect(data.flags).toBe(0x01);
    expect(data.userPresent).toBe(true);
    expect(data.signCount).toBe(29);
    expect(data.attestedCredentialData).toBeUndefined();
  });
});

describe('parseAuthenticatorData with W3C vectors', () => {
  const registrations = [
    {
      name: 'none.ES256',
      object: w3c.NONE_ATTESTATION_OBJECT,
      flags: 0x59,
      aaguid: w3c.NONE_AAGUID,
      id: w3c.NONE_CREDENTIAL_ID,
      x: w3c.NONE_PUBLIC_KEY_X,
      y: w3c.NONE_PUBLIC_KEY_Y,
    },
    {
      name: 'packed-self.ES256',
      object: w3c.PACKED_SELF_ATTESTATION_OBJECT,
      flags: 0x5d,
      aaguid: w3c.PACKED_SELF_AAGUID,
      id: w3c.PACKED_SELF_CREDENTIAL_ID,
      x: w3c.PACKED_SELF_PUBLIC_KEY_X,
      y: w3c.PACKED_SELF_PUBLIC_KEY_Y,
    },
    {
      name: 'packed.ES256',
      object: w3c.PACKED_ATTESTATION_OBJECT,
      flags: 0x4d,
      aaguid: w3c.PACKED_AAGUID,
      id: w3c.PACKED_CREDENTIAL_ID,
      x: w3c.PACKED_PUBLIC_KEY_X,
      y: w3c.PACKED_PUBLIC_KEY_Y,
    },
  ];

  it.each(registrations)(
    'reads the $name registration authData',
    ({ object, flags, aaguid, id, x, y }) => {
      const data = parseAuthenticatorData(parseAttestationObject(object).authData);
      expect(toHex(data.rpIdHash)).toBe(toHex(w3c.RP_ID_HASH));
      expect(data.flags).toBe(flags);
      expect(data.backupEligible).toBe((flags & AuthenticatorDataFlag.BE) !== 0);
      expect(data.backedUp).toBe((flags & AuthenticatorDataFlag.BS) !== 0);
      expect(data.signCount).toBe(0);
      expect(toHex(data.attestedCredentialData!.aaguid)).toBe(toHex(aaguid));
      expect(toHex(data.attestedCredentialData!.credentialId)).toBe(toHex(id));
      expect(data.attestedCredentialData!.publicKey).toMatchObject({
        kty: 2,
        alg: -7,
        crv: 1,
        x,
        y,
      });
    },
  );

  it.each([
    [
      'none.ES256',
      w3c.NONE_GET_AUTHENTICATOR_DATA,
      { flags: 0x19, up: true, uv: false, be: true, bs: true },
    ],
    [
      'packed-self.ES256',
      w3c.PACKED_SELF_GET_AUTHENTICATOR_DATA,
      { flags: 0x09, up: true, uv: false, be: true, bs: false },
    ],
    [
      'packed.ES256',
      w3c.PACKED_GET_AUTHENTICATOR_DATA,
      { flags: 0x0d, up: true, uv: true, be: true, bs: false },
    ],
  ])('reads the %s assertion authData flags', (_name, bytes, expected) => {
    const data = parseAuthenticatorData(bytes);
    expect(data.flags).toBe(expected.flags);
    expect([data.userPresent, data.userVerified, data.backupEligible, data.backedUp]).toEqual([
      expected.up,
      expected.uv,
      expected.be,
      expected.bs,
    ]);
    expect(data.attestedCredentialData).toBeUndefined();
  });
});

describe('authenticatorData that must be refused', () => {
  it('refuses trailing bytes after the credential public key', () => {
    const error = authDataError(concatBytes([pf.AUTH_DATA_MC, Uint8Array.of(0)]));
    expect(error.code).toBe('INVALID_AUTHENTICATOR_DATA');
    expect(error.message).toContain(`1 unexpected byte(s) at offset ${pf.AUTH_DATA_MC.length}`);
  });

  it('refuses trailing bytes after a 37-byte assertion authData', () => {
    expect(authDataError(concatBytes([pf.AUTH_DATA_GA, Uint8Array.of(0xa0)])).message).toContain(
      'offset 37',
    );
  });

  it('refuses data shorter than 37 bytes', () => {
    expect(authDataError(pf.AUTH_DATA_GA.subarray(0, 36)).message).toContain('got 36');
  });

  it('refuses attested credential data cut anywhere', () => {
    for (const length of [37 + 10, 37 + 18 + 63, pf.AUTH_DATA_MC.length - 1]) {
      expect(authDataError(pf.AUTH_DATA_MC.subarray(0, length)).code).toBe(
        'INVALID_AUTHENTICATOR_DATA',
      );
    }
  });

  it('refuses an ED flag with no extensions map', () => {
    const bytes = new Uint8Array(pf.AUTH_DATA_GA);
    bytes[32] = 0x81;
    expect(authDataError(bytes).message).toContain('extensions');
  });
});

describe('encodeAuthenticatorData', () => {
  it('rebuilds python-fido2 _AUTH_DATA_MC and _AUTH_DATA_GA byte for byte', () => {
    for (const bytes of [pf.AUTH_DATA_MC, pf.AUTH_DATA_GA]) {
      const data = parseAuthenticatorData(bytes);
      const credential = data.attestedCredentialData;
      const rebuilt = encodeAuthenticatorData({
        rpIdHash: data.rpIdHash,
        flags: data.flags,
        signCount: data.signCount,
        ...(credential ? { attestedCredential: credential } : {}),
      });
      expect(toHex(rebuilt)).toBe(toHex(bytes));
    }
  });

  it('sets AT and ED from what is given and round-trips extensions', () => {
    const publicKey = parseAuthenticatorData(pf.AUTH_DATA_MC).attestedCredentialData!.publicKey;
    const bytes = encodeAuthenticatorData({
      rpIdHash: pf.RP_ID_HASH,
      flags: AuthenticatorDataFlag.UP | AuthenticatorDataFlag.UV | AuthenticatorDataFlag.ED,
      signCount: 0x01020304,
      attestedCredential: { aaguid: pf.AAGUID, credentialId: Uint8Array.of(9, 9), publicKey },
      extensions: new Map<string, CborInput>([
        ['credProtect', 2],
        ['hmac-secret', true],
      ]),
    });
    expect(bytes[32]).toBe(0xc5);
    expect(toHex(bytes.subarray(33, 37))).toBe('01020304');
    const parsed = parseAuthenticatorData(bytes);
    expect(toHex(parsed.attestedCredentialData!.publicKeyBytes)).toBe(
      toHex(encodeCanonical(encodeCoseKey(publicKey))),
    );
    expect(parsed.extensions).toEqual(
      new Map<string, unknown>([
        ['credProtect', 2],
        ['hmac-secret', true],
      ]),
    );
    expect(toHex(bytes.subarray(-27))).toBe(
      'a26b6372656450726f7465637402' + '6b686d61632d736563726574f5',
    );
  });

  it('clears AT and ED when nothing follows the counter', () => {
    const bytes = encodeAuthenticatorData({ rpIdHash: pf.RP_ID_HASH, flags: 0xc1, signCount: 29 });
    expect(toHex(bytes)).toBe(toHex(pf.AUTH_DATA_GA));
  });
});
