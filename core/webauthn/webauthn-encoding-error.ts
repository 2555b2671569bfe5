import { CourierError } from '../courier-error.ts';

export type WebAuthnEncodingErrorCode =
  | 'INVALID_BASE64'
  | 'INVALID_CLIENT_DATA'
  | 'INVALID_AUTHENTICATOR_DATA'
  | 'INVALID_ATTESTATION_OBJECT'
  | 'INVALID_COSE_KEY'
  | 'INVALID_AAGUID';

/** A WebAuthn structure (base64url text, clientDataJSON, authenticatorData, COSE key…) is malformed. */
export class WebAuthnEncodingError extends CourierError<WebAuthnEncodingErrorCode> {}
