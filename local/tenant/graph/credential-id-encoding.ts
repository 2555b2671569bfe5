import type { ExcludeCredentialEncoding } from '../seed/tenant-seed.ts';

/**
 * Encodes a credential id the ways Graph has been seen to send them in excludeCredentials:
 * base64url without padding (what v1.0 documents), standard base64 with `+/` and `=` padding
 * (older beta answers), and .NET's UrlTokenEncode form, base64url whose trailing `=`s are
 * replaced by one digit giving their count (`…gQ==` → `…gQ2`). Method ids use that last form too.
 */
export function encodeCredentialId(bytes: Uint8Array, encoding: ExcludeCredentialEncoding): string {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (encoding) {
    case 'base64url':
      return buffer.toString('base64url');
    case 'base64':
      return buffer.toString('base64');
    case 'dotnet': {
      const padded = buffer.toString('base64');
      const padding = padded.length - padded.replace(/=+$/, '').length;
      return `${buffer.toString('base64url')}${padding}`;
    }
  }
}
