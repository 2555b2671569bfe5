import { createHash, randomInt } from 'node:crypto';
import { encodeAttestationObject } from '../../core/webauthn/attestation-object.ts';
import { decodeBase64Tolerant, decodeBase64Url } from '../../core/webauthn/base64url.ts';
import { entraRegistrationClientData } from '../../core/webauthn/client-data.ts';
import { formatAaguid } from '../../core/webauthn/aaguid.ts';
import { ClientPin } from '../../station/ctap/client-pin.ts';
import { CtapHidDevice } from '../../station/ctap/ctap-hid-device.ts';
import { Ctap2 } from '../../station/ctap/ctap2.ts';
import type { MakeCredentialResponse } from '../../station/ctap/make-credential.ts';
import { PinUvAuthTokenPermission as Perm } from '../../station/ctap/pin-uv-auth-token-permission.ts';
import { openInMemoryConnection } from '../../station/transport/in-memory-transport.ts';
import { VirtualKey } from '../../station/virtual-key/virtual-key.ts';

/** Creation options as Graph returns them: only what a client reads. */
export interface ContractCreationOptions {
  publicKey: {
    rp: { id: string; name: string };
    user: { id: string; name: string; displayName: string };
    challenge: string;
    pubKeyCredParams: { type: string; alg: number }[];
    excludeCredentials?: { type: string; id: string }[];
  };
}

export interface SoftwareCredential {
  credentialId: Uint8Array;
  clientDataJSON: Uint8Array;
  attestationObject: Uint8Array;
  aaguid: string;
  /** The same credential with a `none` attestation statement (authData unchanged). */
  noneAttestationObject: Uint8Array;
}

/**
 * makeCredential from Graph's creation options on a connected key, the way the station does it:
 * rp.id and the challenge verbatim, the user handle decoded, excludeCredentials decoded
 * tolerantly, hmac-secret and credProtect 1, a resident key, and PIN-based user verification when
 * a PIN is given. `overrides` make the odd credential a test needs.
 */
export async function makeCredentialOnKey(
  ctap: Ctap2,
  pin: { client: ClientPin; value: string } | undefined,
  options: ContractCreationOptions,
  overrides: { algorithms?: number[]; clientDataJSON?: string } = {},
): Promise<{ made: MakeCredentialResponse; clientDataJSON: string }> {
  const { publicKey } = options;
  const clientDataJSON =
    overrides.clientDataJSON ?? entraRegistrationClientData(publicKey.rp.id, publicKey.challenge);
  const clientDataHash = createHash('sha256').update(clientDataJSON).digest();
  const token = pin
    ? await pin.client.getToken(
        await ctap.getInfo(),
        pin.value,
        Perm.MAKE_CREDENTIAL,
        publicKey.rp.id,
      )
    : undefined;
  const made = await ctap.makeCredential({
    clientDataHash,
    rp: { id: publicKey.rp.id, name: publicKey.rp.name },
    user: {
      id: decodeBase64Url(publicKey.user.id),
      name: publicKey.user.name,
      displayName: publicKey.user.displayName,
    },
    pubKeyCredParams: (overrides.algorithms ?? publicKey.pubKeyCredParams.map((p) => p.alg)).map(
      (alg) => ({ type: 'public-key', alg }),
    ),
    excludeList: (publicKey.excludeCredentials ?? []).map((c) => ({
      type: c.type,
      id: decodeBase64Tolerant(c.id, 'excludeCredentials id'),
    })),
    extensions: { credProtect: 1, 'hmac-secret': true },
    options: { rk: true },
    ...(token
      ? {
          pinUvAuthParam: token.authenticate(clientDataHash),
          pinUvAuthProtocol: token.protocol.version,
        }
      : {}),
  });
  return { made, clientDataJSON };
}

/**
 * Software security keys (station/virtual-key) in this process, one per credential (a key that
 * holds a credential for the user is excluded by the next options), each with a random PIN,
 * making credentials from Graph's creation options as the station does: rp and challenge
 * verbatim, excludeCredentials decoded tolerantly, hmac-secret and credProtect 1, resident,
 * PIN-verified. They are test equipment: their attestation root is public, so a tenant enforcing
 * attestation refuses them unless an admin trusts that root.
 */
export async function makeSoftwareCredential(
  options: ContractCreationOptions,
): Promise<SoftwareCredential> {
  const key = await VirtualKey.create({
    onInternalError: (error) => {
      throw error;
    },
  });
  const device = await CtapHidDevice.open(openInMemoryConnection(key));
  try {
    const ctap = new Ctap2(device);
    const info = await ctap.getInfo();
    const pin = ClientPin.forInfo(ctap, info);
    // A throwaway PIN for a throwaway key; never printed.
    const pinValue = String(randomInt(10_000_000, 100_000_000));
    await pin.setPin(pinValue);
    const { made, clientDataJSON } = await makeCredentialOnKey(
      ctap,
      { client: pin, value: pinValue },
      options,
    );
    const attested = made.authenticatorData.attestedCredentialData!;
    return {
      credentialId: attested.credentialId,
      clientDataJSON: new TextEncoder().encode(clientDataJSON),
      attestationObject: encodeAttestationObject(made),
      aaguid: formatAaguid(attested.aaguid),
      noneAttestationObject: encodeAttestationObject({
        fmt: 'none',
        attStmt: new Map(),
        authData: made.authData,
      }),
    };
  } finally {
    await device.close();
  }
}
