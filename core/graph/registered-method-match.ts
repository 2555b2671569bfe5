import { createHash } from 'node:crypto';
import { bytesEqual } from '../bytes.ts';
// SimpleWebAuthn's CBOR, not core/cbor: the gateway runs in the deployed functions app, which
// must not carry cbor-x (the station's canonical CBOR, with a native extension).
import { decodeAttestationObject, parseAuthenticatorData } from '@simplewebauthn/server/helpers';
import { formatAaguid } from '../webauthn/aaguid.ts';
import { base64Readings } from '../webauthn/base64url.ts';
import { MAX_DISPLAY_NAME_LENGTH } from './fido2-registration.ts';
import type { Fido2Method } from './schemas/fido2-method-schema.ts';

/*
 * How a registration whose POST outcome is unknown is found again in the user's fido2Methods.
 *
 * Documented (Graph v1.0 fido2AuthenticationMethod resource and POST page): a method has an `id`,
 * the `displayName` the POST gave it (1–30 characters in practice; the docs say only "optional"),
 * `aaGuid` and `createdDateTime`; `publicKeyCredential` (and so the credential id) is write-only
 * and never returned.
 *
 * NOT documented: any relation between the method `id` and the credential id. Tenants have been
 * seen answering with the credential id in .NET's padding-digit base64url, and Microsoft's own
 * examples show GUIDs. So the method is found by what we control: a display name unique to this
 * attempt (a short tag derived from the credential id, which is new for every makeCredential),
 * with the AAGUID and a createdDateTime no earlier than the attempt. Only where the id does read
 * as the credential id is that taken as proof too. Whether Graph keeps displayName byte for byte
 * is not documented either; the contract probe (`npm run contract`) checks it on a real tenant.
 */

const TAG_ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';
const TAG_LENGTH = 6;
/** Graph's clock and ours may differ; a method created this much "before" the POST still counts. */
export const CLOCK_SKEW_MS = 10 * 60_000;

/** Six base-32 characters (30 bits) of SHA-256(credential id): unique to one makeCredential. */
export function attemptTag(credentialId: Uint8Array): string {
  const digest = createHash('sha256').update(credentialId).digest();
  let bits = 0n;
  for (const byte of digest.subarray(0, 4)) bits = (bits << 8n) | BigInt(byte);
  let tag = '';
  for (let i = 0; i < TAG_LENGTH; i++) {
    tag += TAG_ALPHABET[Number((bits >> BigInt(32 - 5 * (i + 1))) & 31n)];
  }
  return tag;
}

/**
 * The display name this attempt registers under: the caller's name, shortened when needed, then
 * " #" and the attempt tag, within Entra's 30 characters. Idempotent.
 */
export function attemptDisplayName(displayName: string, credentialId: Uint8Array): string {
  const suffix = ` #${attemptTag(credentialId)}`;
  const trimmed = displayName.trim();
  if (trimmed.endsWith(suffix)) return trimmed;
  const room = MAX_DISPLAY_NAME_LENGTH - suffix.length;
  const base = [...trimmed].slice(0, room).join('').trimEnd();
  return `${base}${suffix}`;
}

/** The AAGUID in an attestationObject's authenticatorData, or undefined when it cannot be read. */
export function aaguidOfAttestation(attestationObject: Uint8Array): string | undefined {
  try {
    const authData = parseAuthenticatorData(
      decodeAttestationObject(new Uint8Array(attestationObject)).get('authData'),
    );
    return authData.aaguid ? formatAaguid(authData.aaguid) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * True when the method id reads as this credential id (some encoding of it). Undocumented: a
 * fallback only, never the sole way to find a method.
 */
export function methodIdIsCredentialId(method: Fido2Method, credentialId: Uint8Array): boolean {
  try {
    return base64Readings(method.id).some((reading) => bytesEqual(reading, credentialId));
  } catch {
    return false;
  }
}

export interface AttemptIdentity {
  credentialId: Uint8Array;
  /** The tagged name (attemptDisplayName) the POST carried. */
  displayName: string;
  /** Lower-case AAGUID, when known. */
  aaguid: string | undefined;
  /** Our clock when the attempt's first POST left (ms); omitted when not known. */
  postedAt?: number;
  now: number;
}

/**
 * The user's method that this attempt registered, or undefined. A match on the tagged name must
 * also agree on the AAGUID and on createdDateTime (not before the POST, allowing clock skew);
 * a method whose id reads as the credential id matches on its own.
 */
export function findAttemptMethod(
  methods: readonly Fido2Method[],
  attempt: AttemptIdentity,
): Fido2Method | undefined {
  const byId = methods.find((m) => methodIdIsCredentialId(m, attempt.credentialId));
  if (byId) return byId;
  const candidates = methods.filter((method) => {
    if (method.displayName?.trim() !== attempt.displayName) return false;
    if (attempt.aaguid && method.aaGuid && method.aaGuid.toLowerCase() !== attempt.aaguid)
      return false;
    if (attempt.aaguid && !method.aaGuid) return false;
    if (method.createdDateTime) {
      const created = Date.parse(method.createdDateTime);
      if (created > attempt.now + CLOCK_SKEW_MS) return false;
      if (attempt.postedAt !== undefined && created < attempt.postedAt - CLOCK_SKEW_MS)
        return false;
    }
    return true;
  });
  // Two methods with one attempt's tag would be one credential registered twice, which Entra
  // refuses; should it ever happen, the newest is the one this attempt made.
  return candidates.sort(
    (a, b) => Date.parse(b.createdDateTime ?? '') - Date.parse(a.createdDateTime ?? ''),
  )[0];
}
