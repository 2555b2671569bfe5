import { describe, expect, it } from 'vitest';
import { WebAuthnEncodingError } from '../../../core/webauthn/webauthn-encoding-error.ts';
import { toHex } from '../../../core/bytes.ts';
import { formatAaguid, parseAaguid } from '../../../core/webauthn/aaguid.ts';
import { parseAuthenticatorData } from '../../../core/webauthn/authenticator-data.ts';
import { GET_INFO_NFC_USB } from '../../vectors/kanidm.ts';
import { AUTH_DATA_MC } from '../../vectors/python-fido2.ts';
import { caught } from '../../support/caught.ts';

describe('AAGUID text form', () => {
  it('formats the python-fido2 authData AAGUID as a lowercase UUID', () => {
    const aaguid = parseAuthenticatorData(AUTH_DATA_MC).attestedCredentialData!.aaguid;
    expect(formatAaguid(aaguid)).toBe('f8a011f3-8c0a-4d15-8006-17111f9edc7d');
  });

  it('parses the YubiKey 5 NFC AAGUID to the bytes its getInfo carries', () => {
    // getInfo key 3 holds the AAGUID as a 16-byte string right after 03 50.
    const start = toHex(GET_INFO_NFC_USB).indexOf('0350') / 2 + 2;
    const fromGetInfo = GET_INFO_NFC_USB.subarray(start, start + 16);
    expect(toHex(parseAaguid('2fc0579f-8113-47ea-b116-bb5a8db9202a'))).toBe(toHex(fromGetInfo));
    expect(toHex(parseAaguid('2FC0579F-8113-47EA-B116-BB5A8DB9202A'))).toBe(toHex(fromGetInfo));
  });

  it.each(['2fc0579f811347eab116bb5a8db9202a', '2fc0579f-8113-47ea-b116-bb5a8db9202', ''])(
    'refuses %j with INVALID_AAGUID, quoting it',
    (text) => {
      const error = caught(WebAuthnEncodingError, () => parseAaguid(text));
      expect(error.code).toBe('INVALID_AAGUID');
      expect(error.message).toContain(JSON.stringify(text));
    },
  );

  it('refuses to format anything but 16 bytes', () => {
    const error = caught(WebAuthnEncodingError, () => formatAaguid(new Uint8Array(15)));
    expect(error.code).toBe('INVALID_AAGUID');
    expect(error.message).toContain('got 15');
  });
});
