import { createHash, randomUUID } from 'node:crypto';
import { encodeCredentialId } from './credential-id-encoding.ts';

/**
 * The two forms of fido2Method id Graph has been seen to use. Nothing documents which one a
 * tenant uses, or that the id relates to the credential at all: tenants have answered with the
 * credential id in .NET's padding-digit base64url, and Microsoft's documentation examples show
 * GUIDs. The local tenant picks one per run, so no client can come to depend on either.
 */
export const methodIdForms = ['credential-id', 'guid'] as const;
export type MethodIdForm = (typeof methodIdForms)[number];

/** A form for this run: the one asked for, or one at random. */
export function chooseMethodIdForm(asked: MethodIdForm | undefined): MethodIdForm {
  return asked ?? methodIdForms[Math.random() < 0.5 ? 0 : 1];
}

/**
 * The id of a new method. GUIDs are random for registrations; for seeded methods (`stable`) they
 * are derived from the credential id, so a state file and a reset give the same ids.
 */
export function methodIdFor(
  form: MethodIdForm,
  credentialId: Uint8Array,
  options: { stable?: boolean } = {},
): string {
  if (form === 'credential-id') return encodeCredentialId(credentialId, 'dotnet');
  if (!options.stable) return randomUUID();
  const hex = createHash('sha256').update('fido2Method:').update(credentialId).digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
