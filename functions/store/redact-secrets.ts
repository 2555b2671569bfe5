/**
 * Free text that reaches storage (an audit record's reason and detail, a device's error text)
 * could carry a credential by accident: an error message quoting an Authorization header, a JWT
 * pasted into a note. These patterns find what is recognisably a bearer token or JWT and replace
 * it. A PIN cannot be recognised in free text (it is a short run of digits, like a serial), so PINs
 * are kept out by the types instead: no record type has a member that could hold one.
 */
export const REDACTED = '[redacted]';

/** A JWT or JWS/JWE in compact form: a base64url JSON header ("eyJ") and more dot-separated parts. */
const COMPACT_JOSE = /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]*){1,3}/g;
/** An Authorization header value. */
const AUTHORIZATION = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{16,}/gi;
/** A secret in an assignment: client_secret=…, "password": "…", AccountKey=…, sig=… */
const ASSIGNMENT =
  /\b(client_secret|password|pin|accountkey|sig|code_verifier|refresh_token|access_token|id_token)(["']?\s*[:=]\s*["']?)[^\s"'&;,]{4,}/gi;

/** The text with anything that looks like a token or secret replaced by "[redacted]". */
export function redactSecrets(text: string): string {
  return text
    .replace(COMPACT_JOSE, REDACTED)
    .replace(AUTHORIZATION, (_match, scheme: string) => `${scheme} ${REDACTED}`)
    .replace(
      ASSIGNMENT,
      (_match, name: string, separator: string) => `${name}${separator}${REDACTED}`,
    );
}
