import { createHash } from 'node:crypto';
import type {
  WebauthnAuthenticationExtensionsClientInputs,
  WebauthnCredentialCreationOptions,
} from '@microsoft/microsoft-graph-types-beta';
import { graphDateTime } from '../http/tenant-request.ts';
import type { DirectoryUser } from '../directory.ts';
import type { StoredFido2Method } from '../tenant-state.ts';
import { encodeCredentialId } from './credential-id-encoding.ts';
import { OFFERED_ALGORITHMS } from './webauthn-registration-check.ts';

/** The extensions Entra asks for: an open type in Graph's metadata, so typed here. */
export interface EntraExtensionInputs extends WebauthnAuthenticationExtensionsClientInputs {
  hmacCreateSecret: boolean;
  enforceCredentialProtectionPolicy: boolean;
  credentialProtectionPolicy: 'userVerificationOptional';
}

export type CreationOptionsResponse = WebauthnCredentialCreationOptions & {
  '@odata.context': string;
};

/** How long a client may take over makeCredential (ms); both published samples show 60000. */
export const CLIENT_TIMEOUT_MS = 60_000;

/**
 * Graph's webauthnCredentialCreationOptions for a user, shaped like the real beta payload: RP
 * login.microsoft.com/"Microsoft", the user's opaque handle, ES256 and RS256, a resident key
 * with user verification on a cross-platform authenticator, direct attestation, hmac-secret and
 * credProtect "userVerificationOptional", and the user's existing credentials to exclude, in
 * the encoding the seed chose for that user (Graph has sent three).
 */
export function buildCreationOptions(input: {
  root: string;
  version: 'v1.0' | 'beta';
  user: DirectoryUser;
  tenantId: string;
  rpId: string;
  challenge: string;
  expiresAt: number;
  existing: readonly StoredFido2Method[];
}): CreationOptionsResponse {
  const extensions: EntraExtensionInputs = {
    hmacCreateSecret: true,
    enforceCredentialProtectionPolicy: true,
    credentialProtectionPolicy: 'userVerificationOptional',
  };
  return {
    '@odata.context': `${input.root}/${input.version}/$metadata#microsoft.graph.webauthnCredentialCreationOptions`,
    challengeTimeoutDateTime: graphDateTime(input.expiresAt),
    publicKey: {
      rp: { id: input.rpId, name: 'Microsoft' },
      user: {
        id: Buffer.from(userHandle(input.tenantId, input.user.id)).toString('base64url'),
        name: input.user.userPrincipalName,
        displayName: input.user.displayName,
      },
      challenge: input.challenge,
      pubKeyCredParams: OFFERED_ALGORITHMS.map((alg) => ({ type: 'public-key', alg })),
      timeout: CLIENT_TIMEOUT_MS,
      excludeCredentials: input.existing.map((m) => ({
        type: 'public-key',
        id: encodeCredentialId(
          Buffer.from(m.credentialId, 'base64url'),
          input.user.excludeCredentialEncoding,
        ),
        transports: m.transports,
      })),
      authenticatorSelection: {
        authenticatorAttachment: 'cross-platform',
        requireResidentKey: true,
        userVerification: 'required',
      },
      attestation: 'direct',
      extensions,
    },
  };
}

/**
 * The WebAuthn user handle Entra gives a user: opaque, stable, 48 bytes (it fits CTAP's 64-byte
 * limit), derived from the tenant and the object id rather than revealing either.
 */
export function userHandle(tenantId: string, userId: string): Uint8Array {
  return new Uint8Array(
    createHash('sha512')
      .update(`entra-webauthn-user-handle|${tenantId}|${userId.toLowerCase()}`)
      .digest()
      .subarray(0, 48),
  );
}
