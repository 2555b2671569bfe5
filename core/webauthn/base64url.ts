import { WebAuthnEncodingError } from './webauthn-encoding-error.ts';

/** base64url without padding (RFC 4648 §5), the form WebAuthn and Microsoft Graph use for binary fields. */
export function encodeBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** Strict base64url decoding: url-safe alphabet only, no padding, no stray characters. */
export function decodeBase64Url(text: string, what = 'value'): Uint8Array {
  if (!BASE64URL.test(text) || !isCanonicalBody(text)) {
    throw new WebAuthnEncodingError(
      'INVALID_BASE64',
      `${what} is not base64url without padding: ${quote(text)}.`,
    );
  }
  return new Uint8Array(Buffer.from(text, 'base64url'));
}

const ANY_BASE64 = /^[A-Za-z0-9+/_-]*$/;
const URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * Decodes binary fields from Microsoft Graph, which does not always send what its documentation
 * promises. Seen in real creationOptions (excludeCredentials ids): base64url, standard base64 with
 * `+` and `/`, `=` padding, and .NET's "padding number suffix" form, where the trailing `=`s are
 * replaced by one digit giving their count (`…gQ==` arrives as `…gQ2`).
 *
 * The plain reading wins whenever it is valid and canonical (unused trailing bits zero); the
 * suffix-digit reading is tried only when the plain one is impossible, so well-formed ids are
 * never reinterpreted. Anything else is refused with the offending text quoted.
 */
export function decodeBase64Tolerant(text: string, what = 'value'): Uint8Array {
  const trimmed = text.trim();
  const padding = /=*$/.exec(trimmed)![0].length;
  const body = trimmed
    .slice(0, trimmed.length - padding)
    .replace(/\+/g, '-')
    .replace(/\//g, '_');
  if (padding > 2 || !ANY_BASE64.test(body)) {
    throw new WebAuthnEncodingError(
      'INVALID_BASE64',
      `${what} is not base64 or base64url: ${quote(text)}.`,
    );
  }
  if (isCanonicalBody(body) && (padding === 0 || (body.length + padding) % 4 === 0)) {
    return new Uint8Array(Buffer.from(body, 'base64url'));
  }
  if (padding === 0 && body.length > 1) {
    const rest = body.slice(0, -1);
    const expectedDigit = String((4 - (rest.length % 4)) % 4);
    if (body.endsWith(expectedDigit) && isCanonicalBody(rest)) {
      return new Uint8Array(Buffer.from(rest, 'base64url'));
    }
  }
  throw new WebAuthnEncodingError(
    'INVALID_BASE64',
    `${what} is not valid base64 (length ${trimmed.length}, or non-zero trailing bits): ${quote(text)}.`,
  );
}

/**
 * Every reading of a Graph id that could be meant: the plain one and, when it is well-formed too,
 * the padding-digit one (`…Ss1` is valid base64url of 33 bytes, and the .NET form of 32). For
 * uses where a wrong extra candidate is harmless, such as an exclude list or matching a method
 * id, both are safer than a guess. Throws like decodeBase64Tolerant when there is none.
 */
export function base64Readings(text: string, what = 'value'): Uint8Array[] {
  const readings = [decodeBase64Tolerant(text, what)];
  const trimmed = text.trim();
  if (/^[A-Za-z0-9+/_-]+[0-2]$/.test(trimmed)) {
    const rest = trimmed.slice(0, -1).replace(/\+/g, '-').replace(/\//g, '_');
    const expectedDigit = String((4 - (rest.length % 4)) % 4);
    if (trimmed.endsWith(expectedDigit) && isCanonicalBody(rest)) {
      const suffix = new Uint8Array(Buffer.from(rest, 'base64url'));
      if (!readings.some((r) => Buffer.compare(r, suffix) === 0)) readings.push(suffix);
    }
  }
  return readings;
}

/** True when `body` (url alphabet, no padding) is a length base64 can produce, with zero spare bits. */
function isCanonicalBody(body: string): boolean {
  const remainder = body.length % 4;
  if (remainder === 1) return false;
  if (remainder === 0) return true;
  const last = URL_ALPHABET.indexOf(body.at(-1)!);
  // 2 leftover chars carry 8 bits (4 spare), 3 carry 16 bits (2 spare).
  const spareMask = remainder === 2 ? 0b1111 : 0b11;
  return (last & spareMask) === 0;
}

function quote(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 77)}...` : text);
}
