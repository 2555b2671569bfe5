import { encodeBase64Url } from '../webauthn/base64url.ts';
import { GraphError } from './graph-error.ts';

/** What the station hands over to register a credential made from Graph's creation options. */
export interface Fido2Registration {
  /** Shown to the user and admins in Entra; Entra allows 1–30 characters. */
  displayName: string;
  credentialId: Uint8Array;
  /** The exact clientDataJSON bytes whose hash the key signed. */
  clientDataJSON: Uint8Array;
  attestationObject: Uint8Array;
  /** WebAuthn client extension outputs, e.g. { hmacCreateSecret: true }. */
  clientExtensionResults?: Record<string, unknown>;
}

export const MAX_DISPLAY_NAME_LENGTH = 30;

/**
 * The POST body for /users/{id}/authentication/fido2Methods exactly as Entra wants it: displayName
 * and publicKeyCredential {id, response {clientDataJSON, attestationObject}, clientExtensionResults},
 * binary members base64url without padding, and none of WebAuthn's type, rawId or
 * authenticatorAttachment.
 */
export function buildRegistrationBody(registration: Fido2Registration): Record<string, unknown> {
  const displayName = registration.displayName.trim();
  if (displayName.length === 0 || [...displayName].length > MAX_DISPLAY_NAME_LENGTH) {
    throw new GraphError(
      'BAD_REQUEST',
      `The method's display name must be 1 to ${MAX_DISPLAY_NAME_LENGTH} characters, got ${[...displayName].length}: ${JSON.stringify(displayName)}.`,
    );
  }
  return {
    displayName,
    publicKeyCredential: {
      id: encodeBase64Url(registration.credentialId),
      response: {
        clientDataJSON: encodeBase64Url(registration.clientDataJSON),
        attestationObject: encodeBase64Url(registration.attestationObject),
      },
      clientExtensionResults: registration.clientExtensionResults ?? {},
    },
  };
}
