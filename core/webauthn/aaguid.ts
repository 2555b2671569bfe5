import { WebAuthnEncodingError } from './webauthn-encoding-error.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** AAGUID bytes as the lowercase UUID text Graph and FIDO MDS use. */
export function formatAaguid(bytes: Uint8Array): string {
  if (bytes.length !== 16) {
    throw new WebAuthnEncodingError(
      'INVALID_AAGUID',
      `An AAGUID is 16 bytes, got ${bytes.length}.`,
    );
  }
  const hex = Buffer.from(bytes).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function parseAaguid(text: string): Uint8Array {
  if (!UUID.test(text)) {
    throw new WebAuthnEncodingError(
      'INVALID_AAGUID',
      `AAGUID must be a UUID like 2fc0579f-8113-47ea-b116-bb5a8db9202a, got ${JSON.stringify(text)}.`,
    );
  }
  return new Uint8Array(Buffer.from(text.replace(/-/g, ''), 'hex'));
}
