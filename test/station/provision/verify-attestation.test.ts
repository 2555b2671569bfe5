import { createHash, randomBytes } from 'node:crypto';
import { SettingsService } from '@simplewebauthn/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeAttestationObject } from '../../../core/webauthn/attestation-object.ts';
import { encodeBase64Url } from '../../../core/webauthn/base64url.ts';
import { entraRegistrationClientData } from '../../../core/webauthn/client-data.ts';
import { ClientPin } from '../../../station/ctap/client-pin.ts';
import { PinUvAuthTokenPermission as Perm } from '../../../station/ctap/pin-uv-auth-token-permission.ts';
import { ProvisionError } from '../../../station/provision/provision-error.ts';
import {
  verifyAttestation,
  type MadeCredential,
} from '../../../station/provision/verify-attestation.ts';
import { issueAttestationIdentity } from '../../../station/virtual-key/attestation-authority.ts';
import { VIRTUAL_KEY_AAGUID } from '../../../station/virtual-key/virtual-key.ts';
import { connectedKey, type ConnectedKey } from '../../support/connected-key.ts';

const PIN = '19283746';
const RP_ID = 'login.microsoft.com';

/** The station's own attestation check, on what the software key really produces. */
let session: ConnectedKey;
let made: MadeCredential;
let challenge: string;

beforeAll(async () => {
  session = await connectedKey('memory');
  const { ctap } = session;
  const info = await ctap.getInfo();
  const pin = ClientPin.forInfo(ctap, info);
  await pin.setPin(PIN);
  challenge = encodeBase64Url(randomBytes(32));
  const clientDataJSON = entraRegistrationClientData(RP_ID, challenge);
  const clientDataHash = createHash('sha256').update(clientDataJSON).digest();
  const token = await pin.getToken(info, PIN, Perm.MAKE_CREDENTIAL, RP_ID);
  const response = await ctap.makeCredential({
    clientDataHash,
    rp: { id: RP_ID, name: 'Microsoft' },
    user: { id: randomBytes(16), name: 'n@contoso.example', displayName: 'N' },
    pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
    options: { rk: true },
    pinUvAuthParam: token.authenticate(clientDataHash),
    pinUvAuthProtocol: token.protocol.version,
  });
  made = {
    credentialId: response.authenticatorData.attestedCredentialData!.credentialId,
    clientDataJSON,
    attestationObject: encodeAttestationObject(response),
  };
});
afterAll(async () => session?.close());

const expected = (roots: string[]) => ({
  challenge,
  rpId: RP_ID,
  aaguid: VIRTUAL_KEY_AAGUID,
  roots,
});

describe('the station’s attestation check', () => {
  it('accepts a packed attestation that chains to a trusted root', async () => {
    await expect(
      verifyAttestation(made, expected([session.key.attestation.rootPem])),
    ).resolves.toBeUndefined();
  });

  it('refuses one that chains to no trusted root, and sets no root for anyone else', async () => {
    const stranger = await issueAttestationIdentity(new Uint8Array(16), 'some other vendor root');
    const refused = verifyAttestation(made, expected([stranger.rootPem]));
    await expect(refused).rejects.toBeInstanceOf(ProvisionError);
    await expect(refused).rejects.toMatchObject({
      code: 'ATTESTATION_INVALID',
      message: expect.stringContaining('(Packed|Full)'),
    });
    // SimpleWebAuthn's process-wide roots stay as they were: other verifiers decide for themselves.
    expect(SettingsService.getRootCertificates({ identifier: 'packed' })).toEqual([]);
  });

  it('refuses without roots, and when the key names another AAGUID', async () => {
    await expect(verifyAttestation(made, expected([]))).rejects.toMatchObject({
      message: expect.stringContaining('trusts no attestation roots'),
    });
    await expect(
      verifyAttestation(made, {
        ...expected([session.key.attestation.rootPem]),
        aaguid: '00000000-0000-0000-0000-000000000001',
      }),
    ).rejects.toMatchObject({ message: expect.stringContaining('but the key said') });
  });
});
