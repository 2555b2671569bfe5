import { decodeCanonical, encodeCanonical } from '../cbor/canonical-cbor.ts';
import { CborMapReader } from '../cbor/cbor-map-reader.ts';
import type { CborKey, CborValue } from '../cbor/cbor-value.ts';
import { WebAuthnEncodingError } from './webauthn-encoding-error.ts';

export interface AttestationObject {
  fmt: string;
  attStmt: Map<CborKey, CborValue>;
  authData: Uint8Array;
}

/**
 * The WebAuthn attestationObject `{fmt, attStmt, authData}` (WebAuthn L3 §6.5.4), built from a CTAP
 * makeCredential response (keys 1, 3, 2). Canonical CBOR puts the keys in the order fmt, attStmt,
 * authData. The CTAP response was checked to be canonical, so re-encoding attStmt is byte-exact.
 */
export function encodeAttestationObject(object: AttestationObject): Uint8Array {
  return encodeCanonical(
    new Map<string, CborValue>([
      ['fmt', object.fmt],
      ['attStmt', object.attStmt],
      ['authData', object.authData],
    ]),
  );
}

export function parseAttestationObject(bytes: Uint8Array): AttestationObject {
  try {
    const reader = new CborMapReader(decodeCanonical(bytes), 'attestationObject');
    const attStmt = reader.raw('attStmt');
    if (!(attStmt instanceof Map)) {
      return fail('"attStmt" must be a map.');
    }
    return {
      fmt: reader.text('fmt', 'fmt'),
      attStmt,
      authData: reader.bytes('authData', 'authData'),
    };
  } catch (cause) {
    if (cause instanceof WebAuthnEncodingError) throw cause;
    throw new WebAuthnEncodingError(
      'INVALID_ATTESTATION_OBJECT',
      `attestationObject: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
}

function fail(message: string): never {
  throw new WebAuthnEncodingError('INVALID_ATTESTATION_OBJECT', `attestationObject: ${message}`);
}
