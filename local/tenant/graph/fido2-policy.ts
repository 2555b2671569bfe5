import type { Fido2PolicySettings, KeyRestrictions, PasskeyProfile } from '../seed/tenant-seed.ts';

/** The id Entra gave the profile it made from a tenant's existing FIDO2 settings. */
export const DEFAULT_PASSKEY_PROFILE_ID = '00000000-0000-0000-0000-000000000001';

/** One set of rules a registration may satisfy: the policy's own, or one passkey profile's. */
export interface PasskeyRule {
  profileId: string | undefined;
  /** Which passkeys the rule admits: deviceBound, synced (a profile's passkeyTypes). */
  passkeyTypes: readonly string[];
  attestationEnforced: boolean;
  keyRestrictions: KeyRestrictions;
}

function targetMatches(
  target: { targetType: string; id: string },
  userId: string,
  groupIds: ReadonlySet<string>,
): boolean {
  if (target.id === 'all_users') return true;
  return target.targetType === 'user'
    ? target.id.toLowerCase() === userId.toLowerCase()
    : groupIds.has(target.id.toLowerCase());
}

/** In an include target and in no exclude target (exclusion wins, as in Entra). */
export function isUserTargeted(
  policy: Fido2PolicySettings,
  userId: string,
  groupIds: ReadonlySet<string>,
): boolean {
  return (
    policy.includeTargets.some((t) => targetMatches(t, userId, groupIds)) &&
    !policy.excludeTargets.some((t) => targetMatches(t, userId, groupIds))
  );
}

/**
 * The rules that apply to a targeted user. With passkey profiles, those allowed by the include
 * targets the user matches (a target naming none allows them all); without, the policy's own
 * isAttestationEnforced and keyRestrictions.
 */
export function rulesForUser(
  policy: Fido2PolicySettings,
  userId: string,
  groupIds: ReadonlySet<string>,
): PasskeyRule[] {
  const profiles = policy.passkeyProfiles;
  if (!profiles || profiles.length === 0) {
    return [
      {
        profileId: undefined,
        passkeyTypes: ['deviceBound', 'synced'],
        attestationEnforced: policy.isAttestationEnforced,
        keyRestrictions: policy.keyRestrictions,
      },
    ];
  }
  const allowed = new Set<string>();
  for (const target of policy.includeTargets.filter((t) => targetMatches(t, userId, groupIds))) {
    for (const id of target.allowedPasskeyProfiles ?? profiles.map((p) => p.id))
      allowed.add(id.toLowerCase());
  }
  return profiles
    .filter((p) => allowed.has(p.id.toLowerCase()))
    .map((p) => ({
      profileId: p.id,
      passkeyTypes: p.passkeyTypes.split(','),
      attestationEnforced: p.attestationEnforcement === 'registrationOnly',
      keyRestrictions: p.keyRestrictions,
    }));
}

export function aaguidAllowed(restrictions: KeyRestrictions, aaguid: string): boolean {
  if (!restrictions.isEnforced) return true;
  const listed = restrictions.aaGuids.some((a) => a.toLowerCase() === aaguid.toLowerCase());
  return restrictions.enforcementType === 'allow' ? listed : !listed;
}

/** The profiles beta shows: the configured ones, or one default profile mirroring the policy. */
export function visiblePasskeyProfiles(policy: Fido2PolicySettings): PasskeyProfile[] {
  if (policy.passkeyProfiles && policy.passkeyProfiles.length > 0) return policy.passkeyProfiles;
  return [
    {
      id: DEFAULT_PASSKEY_PROFILE_ID,
      name: 'Default passkey profile',
      passkeyTypes: 'deviceBound',
      attestationEnforcement: policy.isAttestationEnforced ? 'registrationOnly' : 'disabled',
      keyRestrictions: policy.keyRestrictions,
    },
  ];
}
