import { createHash } from 'node:crypto';
import { AuthenticatorConfig } from '../../station/ctap/authenticator-config.ts';
import { ClientPin } from '../../station/ctap/client-pin.ts';
import type { Ctap2 } from '../../station/ctap/ctap2.ts';
import type { MakeCredentialResponse } from '../../station/ctap/make-credential.ts';
import type { GetAssertionResponse } from '../../station/ctap/get-assertion.ts';
import type { AuthenticatorInfo } from '../../station/ctap/authenticator-info.ts';
import { PinUvAuthTokenPermission as Perm } from '../../station/ctap/pin-uv-auth-token-permission.ts';

export const RP = { id: 'login.microsoft.com', name: 'Microsoft' };

export interface SequenceResult {
  infoBefore: AuthenticatorInfo;
  credential: MakeCredentialResponse;
  assertion: GetAssertionResponse;
  infoAfter: AuthenticatorInfo;
}

/**
 * The station's per-key CTAP sequence, as the bench and the round-trip tests run it:
 * getInfo → setPIN → setMinPINLength → makeCredential (PIN, rk, credProtect 1, hmac-secret)
 * → getAssertion with the PIN → forcePINChange → getInfo. The same calls python-fido2 makes in
 * test/interop/python_fido2_client.py's per_key_sequence.
 */
export async function runPerKeySequence(
  ctap: Ctap2,
  pin: string,
  clientDataJson = '{"type":"webauthn.create"}',
): Promise<SequenceResult> {
  const infoBefore = await ctap.getInfo();
  const clientPin = ClientPin.forInfo(ctap, infoBefore);
  await clientPin.setPin(pin);
  let token = await clientPin.getToken(infoBefore, pin, Perm.AUTHENTICATOR_CONFIG);
  await new AuthenticatorConfig(ctap, token).setMinPinLength({ minPinLength: [...pin].length });
  const clientDataHash = createHash('sha256').update(clientDataJson).digest();
  token = await clientPin.getToken(infoBefore, pin, Perm.MAKE_CREDENTIAL, RP.id);
  const credential = await ctap.makeCredential({
    clientDataHash,
    rp: RP,
    user: {
      id: new TextEncoder().encode('bench-user-0001'),
      name: 'bench@example.com',
      displayName: 'Bench',
    },
    pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
    extensions: { credProtect: 1, 'hmac-secret': true },
    options: { rk: true },
    pinUvAuthParam: token.authenticate(clientDataHash),
    pinUvAuthProtocol: token.protocol.version,
  });
  const credentialId = credential.authenticatorData.attestedCredentialData!.credentialId;
  token = await clientPin.getToken(infoBefore, pin, Perm.GET_ASSERTION, RP.id);
  const assertion = await ctap.getAssertion({
    rpId: RP.id,
    clientDataHash,
    allowList: [{ type: 'public-key', id: credentialId }],
    pinUvAuthParam: token.authenticate(clientDataHash),
    pinUvAuthProtocol: token.protocol.version,
  });
  token = await clientPin.getToken(infoBefore, pin, Perm.AUTHENTICATOR_CONFIG);
  await new AuthenticatorConfig(ctap, token).setMinPinLength({ forceChangePin: true });
  token.wipe();
  const infoAfter = await ctap.getInfo();
  return { infoBefore, credential, assertion, infoAfter };
}
