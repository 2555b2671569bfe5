import { randomBytes } from 'node:crypto';
import {
  SettingsService,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import { afterEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { encodeBase64Url } from '../../core/webauthn/base64url.ts';
import {
  entraRegistrationClientData,
  serializeClientData,
} from '../../core/webauthn/client-data.ts';
import { encodeAttestationObject } from '../../core/webauthn/attestation-object.ts';
import { ClientPin } from '../../station/ctap/client-pin.ts';
import { PinUvAuthTokenPermission as Perm } from '../../station/ctap/pin-uv-auth-token-permission.ts';
import { issueAttestationIdentity } from '../../station/virtual-key/attestation-authority.ts';
import { connectedKey, type ConnectedKey } from '../support/connected-key.ts';

const PIN = '19283746';

/**
 * A third verifier, in JavaScript: SimpleWebAuthn checks the software key's packed attestation
 * (full chain to its root), the clientDataJSON the station builds for Entra, and an assertion.
 */
describe('SimpleWebAuthn verifies what the software key produces', () => {
  let session: ConnectedKey | undefined;
  afterEach(async () => {
    await session?.close();
    session = undefined;
    SettingsService.setRootCertificates({ identifier: 'packed', certificates: [] });
  });

  it('accepts an Entra-style registration with full packed attestation and a later sign-in', async () => {
    session = await connectedKey('memory');
    SettingsService.setRootCertificates({
      identifier: 'packed',
      certificates: [session.key.attestation.rootPem],
    });
    const { ctap } = session;
    const info = await ctap.getInfo();
    const pin = ClientPin.forInfo(ctap, info);
    await pin.setPin(PIN);

    const rpId = 'login.microsoft.com';
    const challenge = encodeBase64Url(randomBytes(48));
    const clientDataJson = entraRegistrationClientData(rpId, challenge);
    const clientDataHash = createHash('sha256').update(clientDataJson).digest();
    let token = await pin.getToken(info, PIN, Perm.MAKE_CREDENTIAL, rpId);
    const made = await ctap.makeCredential({
      clientDataHash,
      rp: { id: rpId, name: 'Microsoft' },
      user: { id: randomBytes(32), name: 'max@contoso.example', displayName: 'Max' },
      pubKeyCredParams: [
        { type: 'public-key', alg: -7 },
        { type: 'public-key', alg: -257 },
      ],
      extensions: { credProtect: 1, 'hmac-secret': true },
      options: { rk: true },
      pinUvAuthParam: token.authenticate(clientDataHash),
      pinUvAuthProtocol: token.protocol.version,
    });
    const credentialId = made.authenticatorData.attestedCredentialData!.credentialId;
    const registration = await verifyRegistrationResponse({
      response: {
        id: encodeBase64Url(credentialId),
        rawId: encodeBase64Url(credentialId),
        type: 'public-key',
        clientExtensionResults: {},
        response: {
          clientDataJSON: encodeBase64Url(new TextEncoder().encode(clientDataJson)),
          attestationObject: encodeBase64Url(encodeAttestationObject(made)),
        },
      },
      expectedChallenge: challenge,
      expectedOrigin: `https://${rpId}`,
      expectedRPID: rpId,
      requireUserVerification: true,
    });
    expect(registration.verified).toBe(true);
    expect(registration.registrationInfo?.fmt).toBe('packed');
    expect(registration.registrationInfo?.aaguid).toBe(session.key.aaguid);

    const getChallenge = encodeBase64Url(randomBytes(32));
    const getClientData = serializeClientData({
      type: 'webauthn.get',
      challenge: getChallenge,
      origin: `https://${rpId}`,
      crossOrigin: false,
    });
    const getHash = createHash('sha256').update(getClientData).digest();
    token = await pin.getToken(info, PIN, Perm.GET_ASSERTION, rpId);
    const assertion = await ctap.getAssertion({
      rpId,
      clientDataHash: getHash,
      allowList: [{ type: 'public-key', id: credentialId }],
      pinUvAuthParam: token.authenticate(getHash),
      pinUvAuthProtocol: token.protocol.version,
    });
    const authentication = await verifyAuthenticationResponse({
      response: {
        id: encodeBase64Url(credentialId),
        rawId: encodeBase64Url(credentialId),
        type: 'public-key',
        clientExtensionResults: {},
        response: {
          clientDataJSON: encodeBase64Url(new TextEncoder().encode(getClientData)),
          authenticatorData: encodeBase64Url(assertion.authData),
          signature: encodeBase64Url(assertion.signature),
        },
      },
      expectedChallenge: getChallenge,
      expectedOrigin: `https://${rpId}`,
      expectedRPID: rpId,
      credential: registration.registrationInfo!.credential,
      requireUserVerification: true,
    });
    expect(authentication.verified).toBe(true);
  });

  it('refuses the attestation when it does not chain to the trusted root', async () => {
    session = await connectedKey('memory');
    const stranger = await issueAttestationIdentity(new Uint8Array(16), 'some other vendor root');
    SettingsService.setRootCertificates({ identifier: 'packed', certificates: [stranger.rootPem] });
    const { ctap } = session;
    const rpId = 'login.microsoft.com';
    const challenge = encodeBase64Url(randomBytes(32));
    const clientDataJson = entraRegistrationClientData(rpId, challenge);
    const clientDataHash = createHash('sha256').update(clientDataJson).digest();
    const made = await ctap.makeCredential({
      clientDataHash,
      rp: { id: rpId },
      user: { id: randomBytes(16), name: 'n', displayName: 'N' },
      pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
    });
    const credentialId = made.authenticatorData.attestedCredentialData!.credentialId;
    await expect(
      verifyRegistrationResponse({
        response: {
          id: encodeBase64Url(credentialId),
          rawId: encodeBase64Url(credentialId),
          type: 'public-key',
          clientExtensionResults: {},
          response: {
            clientDataJSON: encodeBase64Url(new TextEncoder().encode(clientDataJson)),
            attestationObject: encodeBase64Url(encodeAttestationObject(made)),
          },
        },
        expectedChallenge: challenge,
        expectedOrigin: `https://${rpId}`,
        expectedRPID: rpId,
        requireUserVerification: false,
      }),
    ).rejects.toThrow(/could not be chained/);
  });
});
