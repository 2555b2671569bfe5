import type { GraphErrorCode } from './graph-error.ts';
import type { Fido2Policy } from './schemas/fido2-policy-schema.ts';

/** Entra's pseudo-group id meaning "every user" in method-policy targets. */
export const ALL_USERS_TARGET = 'all_users';

export interface RegistrationProblem {
  code: Extract<
    GraphErrorCode,
    | 'POLICY_DISABLED'
    | 'SELF_SERVICE_DISABLED'
    | 'USER_NOT_TARGETED'
    | 'AAGUID_NOT_ALLOWED'
    | 'PASSKEY_TYPE_NOT_ALLOWED'
    | 'ATTESTATION_NOT_TRUSTED'
  >;
  message: string;
}

export interface PreflightResult {
  /** True when nothing in the policy stops this user from receiving a key of this AAGUID. */
  allowed: boolean;
  problems: RegistrationProblem[];
  /** Attestation is enforced: the key's model must be one Microsoft trusts (FIDO MDS). */
  attestationEnforced: boolean;
  /** What the FIDO Metadata Service said, when it was asked (attestation enforced). */
  metadata?: 'listed' | 'not-listed' | 'unavailable';
  /** Why the metadata was unavailable, e.g. its BLOB's signer revoked or a CRL unreachable. */
  metadataError?: string;
}

/**
 * Decides, from the tenant's Passkey (FIDO2) policy alone, whether Entra will accept a key of
 * `aaguid` for this user: method enabled, self-service setup on (Entra refuses admin provisioning
 * without it), the user targeted and not excluded, the AAGUID allowed by the key restrictions of
 * the policy or of a passkey profile that applies. Pure: the caller fetches policy and groups.
 */
export function evaluateRegistrationPolicy(
  policy: Fido2Policy,
  user: { id: string; groupIds: readonly string[] },
  aaguid: string,
): PreflightResult {
  const problems: RegistrationProblem[] = [];
  const key = aaguid.toLowerCase();
  const memberships = new Set([user.id, ...user.groupIds, ALL_USERS_TARGET]);
  if (policy.state !== 'enabled') {
    problems.push({
      code: 'POLICY_DISABLED',
      message:
        'The Passkey (FIDO2) authentication method is disabled in this tenant. Enable it in the Entra admin center (Authentication methods → Passkey (FIDO2)).',
    });
  }
  if (policy.isSelfServiceRegistrationAllowed !== true) {
    problems.push({
      code: 'SELF_SERVICE_DISABLED',
      message:
        'The Passkey (FIDO2) policy has "Allow self-service setup" turned off, and Entra refuses every provisioned key without it. Turn it on in Authentication methods → Passkey (FIDO2) → Configure.',
    });
  }
  const included = (policy.includeTargets ?? []).filter((t) => memberships.has(t.id));
  const excluded = (policy.excludeTargets ?? []).some((t) => memberships.has(t.id));
  if (included.length === 0 || excluded) {
    problems.push({
      code: 'USER_NOT_TARGETED',
      message: excluded
        ? `User ${user.id} is excluded from the Passkey (FIDO2) policy. Remove them (or their group) from its exclude targets.`
        : `User ${user.id} is not in any group the Passkey (FIDO2) policy targets. Add them to a targeted group.`,
    });
  }
  // Passkey profiles (v1.0 and beta) replace the method-wide restrictions: a target's
  // allowedPasskeyProfiles, or the default profile for a target that names none.
  const byId = new Map((policy.passkeyProfiles ?? []).map((p) => [p.id.toLowerCase(), p]));
  const profileIds = new Set(
    included.flatMap((t) =>
      (t.allowedPasskeyProfiles?.length
        ? t.allowedPasskeyProfiles
        : policy.defaultPasskeyProfile
          ? [policy.defaultPasskeyProfile]
          : [...byId.keys()]
      ).map((id) => id.toLowerCase()),
    ),
  );
  const profiles = [...profileIds].flatMap((id) => byId.get(id) ?? []);
  const rules: { keyRestrictions: Fido2Policy['keyRestrictions']; attestationEnforced: boolean }[] =
    byId.size > 0
      ? profiles
          // A security key is a device-bound passkey: only profiles that admit those apply.
          .filter((p) => passkeyTypesOf(p.passkeyTypes).includes('deviceBound'))
          .map((p) => ({
            keyRestrictions: p.keyRestrictions,
            attestationEnforced: p.attestationEnforcement === 'registrationOnly',
          }))
      : // A tenant not yet on passkey profiles: the deprecated flag is all there is.
        [
          {
            keyRestrictions: policy.keyRestrictions,
            attestationEnforced: policy.isAttestationEnforced === true,
          },
        ];
  if (byId.size > 0 && profiles.length > 0 && rules.length === 0) {
    problems.push({
      code: 'PASSKEY_TYPE_NOT_ALLOWED',
      message: `The passkey profiles that apply to user ${user.id} allow only synced passkeys, and a security key is device-bound. Add "deviceBound" to a profile's passkey types.`,
    });
  }
  const allowing = rules.filter((restrictions) => allowsAaguid(restrictions.keyRestrictions, key));
  if (rules.length > 0 && allowing.length === 0) {
    problems.push({
      code: 'AAGUID_NOT_ALLOWED',
      message: `Keys of AAGUID ${key} are not allowed by the tenant's key restrictions. Add the AAGUID to the allow list, or use a key model that is on it.`,
    });
  }
  // Enforced when every rule that would admit the key enforces it.
  const attestationEnforced =
    allowing.length > 0
      ? allowing.every((r) => r.attestationEnforced)
      : rules.some((r) => r.attestationEnforced);
  return { allowed: problems.length === 0, problems, attestationEnforced };
}

function allowsAaguid(
  restrictions: Fido2Policy['keyRestrictions'] | undefined,
  aaguid: string,
): boolean {
  if (!restrictions?.isEnforced) return true;
  const listed = (restrictions.aaGuids ?? []).some((a) => a.toLowerCase() === aaguid);
  return restrictions.enforcementType === 'block' ? !listed : listed;
}

function passkeyTypesOf(value: string | null | undefined): string[] {
  // Absent on a profile: Graph's own default profile admits both kinds.
  if (!value) return ['deviceBound', 'synced'];
  return value.split(',').map((t) => t.trim());
}
