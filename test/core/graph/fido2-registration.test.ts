import { describe, expect, it } from 'vitest';
import { buildRegistrationBody } from '../../../core/graph/fido2-registration.ts';
import type { GraphError } from '../../../core/graph/graph-error.ts';

const registration = {
  displayName: 'YubiKey 5 NFC · 31337042',
  credentialId: Uint8Array.of(0xfb, 0xff, 0x01),
  clientDataJSON: new TextEncoder().encode('{"type":"webauthn.create"}'),
  attestationObject: Uint8Array.of(0xa3, 0x63, 0x66),
};

describe('the fido2Methods POST body', () => {
  it('is exactly what Entra expects: base64url without padding, no type, rawId or attachment', () => {
    expect(
      buildRegistrationBody({
        ...registration,
        clientExtensionResults: { hmacCreateSecret: true },
      }),
    ).toEqual({
      displayName: 'YubiKey 5 NFC · 31337042',
      publicKeyCredential: {
        id: '-_8B',
        response: {
          clientDataJSON: 'eyJ0eXBlIjoid2ViYXV0aG4uY3JlYXRlIn0',
          attestationObject: 'o2Nm',
        },
        clientExtensionResults: { hmacCreateSecret: true },
      },
    });
  });

  it('refuses a display name Entra would refuse (more than 30 characters, or empty)', () => {
    for (const displayName of ['x'.repeat(31), '   ']) {
      let error: GraphError | undefined;
      try {
        buildRegistrationBody({ ...registration, displayName });
      } catch (e) {
        error = e as GraphError;
      }
      expect(error?.code).toBe('BAD_REQUEST');
      expect(error?.message).toMatch(/1 to 30 characters/);
    }
    expect(
      buildRegistrationBody({ ...registration, displayName: 'é'.repeat(30) }).displayName,
    ).toHaveLength(30);
  });
});
