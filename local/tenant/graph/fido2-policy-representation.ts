import type { Fido2AuthenticationMethodConfiguration as Fido2ConfigurationV1 } from '@microsoft/microsoft-graph-types';
import type {
  Fido2AuthenticationMethodConfiguration as Fido2ConfigurationBeta,
  Fido2KeyRestrictions,
  PasskeyAuthenticationMethodTarget,
} from '@microsoft/microsoft-graph-types-beta';
import type { Fido2PolicySettings } from '../seed/tenant-seed.ts';
import { DEFAULT_PASSKEY_PROFILE_ID, visiblePasskeyProfiles } from './fido2-policy.ts';

/**
 * Beta's passkey profiles (anchors b.6; Graph's passkeyProfile resource). The typings package
 * predates them, so their shape is written out here from Microsoft's documentation.
 */
export interface PasskeyProfileJson {
  id: string;
  name: string;
  /** A flags enum: "deviceBound", "synced" or "deviceBound,synced". */
  passkeyTypes: string;
  attestationEnforcement: 'disabled' | 'registrationOnly';
  keyRestrictions: Fido2KeyRestrictions;
}

export type BetaFido2ConfigurationJson = Omit<Fido2ConfigurationBeta, 'includeTargets'> & {
  '@odata.context': string;
  '@odata.type': string;
  'includeTargets@odata.context': string;
  includeTargets: (PasskeyAuthenticationMethodTarget & { allowedPasskeyProfiles: string[] })[];
  passkeyProfiles: PasskeyProfileJson[];
  defaultPasskeyProfile: string;
};

export type V1Fido2ConfigurationJson = Fido2ConfigurationV1 & {
  '@odata.context': string;
  '@odata.type': string;
  'includeTargets@odata.context': string;
};

/**
 * GET …/authenticationMethodConfigurations/fido2 as Graph answers it, on v1.0 or beta; beta adds
 * the passkey profiles and each include target's allowedPasskeyProfiles (the default profile
 * when the seed configured none).
 */
export function fido2PolicyJson(
  policy: Fido2PolicySettings,
  root: string,
  version: 'v1.0' | 'beta',
): V1Fido2ConfigurationJson | BetaFido2ConfigurationJson {
  const base = `${root}/${version}/$metadata#policies/authenticationMethodsPolicy/authenticationMethodConfigurations`;
  const common = {
    '@odata.context': `${base}/$entity`,
    '@odata.type': '#microsoft.graph.fido2AuthenticationMethodConfiguration',
    id: 'Fido2',
    state: policy.state,
    isSelfServiceRegistrationAllowed: policy.isSelfServiceRegistrationAllowed,
    isAttestationEnforced: policy.isAttestationEnforced,
    excludeTargets: policy.excludeTargets.map((t) => ({ id: t.id, targetType: t.targetType })),
    keyRestrictions: { ...policy.keyRestrictions, aaGuids: [...policy.keyRestrictions.aaGuids] },
    'includeTargets@odata.context': `${base}('Fido2')/microsoft.graph.fido2AuthenticationMethodConfiguration/includeTargets`,
  };
  // Passkey profiles are in v1.0 and beta alike (fido2AuthenticationMethodConfiguration:
  // passkeyProfiles, defaultPasskeyProfile; targets' allowedPasskeyProfiles).
  const profiles = visiblePasskeyProfiles(policy);
  const withProfiles: BetaFido2ConfigurationJson = {
    ...common,
    defaultPasskeyProfile: profiles[0]?.id ?? DEFAULT_PASSKEY_PROFILE_ID,
    includeTargets: policy.includeTargets.map((t) => ({
      targetType: t.targetType,
      id: t.id,
      isRegistrationRequired: t.isRegistrationRequired,
      allowedPasskeyProfiles:
        t.allowedPasskeyProfiles ??
        (policy.passkeyProfiles?.length ? profiles.map((p) => p.id) : [DEFAULT_PASSKEY_PROFILE_ID]),
    })),
    passkeyProfiles: profiles.map((p) => ({
      ...p,
      keyRestrictions: { ...p.keyRestrictions, aaGuids: [...p.keyRestrictions.aaGuids] },
    })),
  };
  if (version === 'v1.0') return withProfiles;
  const beta = withProfiles;
  return beta;
}
