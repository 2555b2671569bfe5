import type { Fido2PolicySettings } from '../seed/tenant-seed.ts';
import { aaguidAllowed, isUserTargeted, rulesForUser } from './fido2-policy.ts';
import type { ChallengeClaims } from './registration-challenge.ts';
import { RegistrationRefusal, type RegistrationRefusalCause } from './registration-refusal.ts';

/**
 * Entra's own acceptance rules for a fido2Methods POST, apart from WebAuthn's (which
 * webauthn-registration-check.ts leaves to @simplewebauthn/server). Each rule says what it rests
 * on: `documented` (Microsoft says so; the source is named) or `assumed` (what tools and tenants
 * have been seen to do, or a safe guess; `npm run contract` records what a real tenant answers).
 */
export interface EntraRule {
  cause: RegistrationRefusalCause;
  basis: 'documented' | 'assumed';
  source: string;
}

export const ENTRA_RULES = {
  attestationFormat: {
    cause: 'invalidAttestation',
    basis: 'documented',
    source:
      'Graph POST fido2Methods (beta): "only attestation formats of packed or None are supported".',
  },
  challengeExpired: {
    cause: 'challengeExpired',
    basis: 'documented',
    source:
      'webauthnCredentialCreationOptions.challengeTimeoutDateTime: "Expired challenges are rejected".',
  },
  selfServiceDisabled: {
    cause: 'selfServiceDisabled',
    basis: 'documented',
    source:
      'Graph known issues: "FIDO2 provisioning API requires self-service setup to be enabled".',
  },
  policyDisabled: {
    cause: 'policyDisabled',
    basis: 'documented',
    source: 'fido2AuthenticationMethodConfiguration.state: the method is off for everyone.',
  },
  userNotTargeted: {
    cause: 'userNotTargeted',
    basis: 'documented',
    source: 'authenticationMethodConfiguration includeTargets/excludeTargets.',
  },
  aaguidNotAllowed: {
    cause: 'aaguidNotAllowed',
    basis: 'documented',
    source: 'fido2KeyRestrictions (isEnforced, enforcementType, aaGuids), per passkey profile.',
  },
  passkeyType: {
    cause: 'passkeyTypeNotAllowed',
    basis: 'documented',
    source: 'passkeyProfile.passkeyTypes: which passkeys (deviceBound, synced) a profile targets.',
  },
  attestationNotTrusted: {
    cause: 'attestationNotTrusted',
    basis: 'documented',
    source:
      'attestationEnforcement / isAttestationEnforced: the key must be in the FIDO Metadata Service (MDS3) with a chain to its listed root.',
  },
  displayNameLength: {
    cause: 'displayNameTooLong',
    basis: 'assumed',
    source:
      'The docs say only "optional"; DSInternals enforces 1–30 characters and tenants refuse longer names.',
  },
  origin: {
    cause: 'invalidClientData',
    basis: 'assumed',
    source:
      'Every working client uses origin "https://" + rp.id and crossOrigin false; Microsoft\'s example shows login.microsoftonline.com.',
  },
  challengeForOtherUser: {
    cause: 'challengeForOtherUser',
    basis: 'assumed',
    source: "The challenge is a sealed token naming the user; another user's is refused.",
  },
  credentialIdMatches: {
    cause: 'invalidAttestation',
    basis: 'assumed',
    source: 'publicKeyCredential.id must be the credential id in authenticatorData.',
  },
  duplicate: {
    cause: 'alreadyRegistered',
    basis: 'assumed',
    source: 'A credential id already registered in the tenant is refused.',
  },
} as const satisfies Record<string, EntraRule>;

export type EntraRuleName = keyof typeof ENTRA_RULES;

/** Throws the refusal for a broken rule, its message prefixed with the rule's basis. */
export function breaks(rule: EntraRuleName, detail: string): never {
  const { cause, basis } = ENTRA_RULES[rule];
  throw new RegistrationRefusal(cause, `${detail} [${basis} rule: ${rule}]`);
}

export const MAX_DISPLAY_NAME_LENGTH = 30;

export function checkDisplayName(displayName: string | undefined): void {
  if (displayName !== undefined && [...displayName].length > MAX_DISPLAY_NAME_LENGTH) {
    breaks(
      'displayNameLength',
      `displayName has ${[...displayName].length} characters; at most ${MAX_DISPLAY_NAME_LENGTH} are allowed.`,
    );
  }
}

/** Method on, self-service setup on, and the user targeted (before anything is parsed). */
export function checkPolicyAdmitsUser(
  policy: Fido2PolicySettings,
  userId: string,
  groupIds: ReadonlySet<string>,
): void {
  if (policy.state !== 'enabled')
    breaks('policyDisabled', 'The passkey (FIDO2) authentication method policy is disabled.');
  if (!policy.isSelfServiceRegistrationAllowed) {
    breaks(
      'selfServiceDisabled',
      'isSelfServiceRegistrationAllowed is false; Entra refuses provisioning until "Allow self-service setup" is on.',
    );
  }
  if (!isUserTargeted(policy, userId, groupIds)) {
    breaks(
      'userNotTargeted',
      'The user is not in an include target of the passkey (FIDO2) policy, or is in an exclude target.',
    );
  }
}

export function checkAttestationFormat(fmt: string): void {
  if (fmt !== 'packed' && fmt !== 'none')
    breaks(
      'attestationFormat',
      `Attestation format "${fmt}" is not accepted; only "packed" and "none" are.`,
    );
}

/** The sealed challenge: for this RP (assumed with the origin), this user, not expired. */
export function checkChallengeClaims(
  claims: ChallengeClaims,
  context: { rpId: string; userId: string; now: number },
): void {
  if (claims.rpId !== context.rpId)
    breaks('origin', `The challenge was issued for RP "${claims.rpId}", not "${context.rpId}".`);
  if (claims.userId.toLowerCase() !== context.userId.toLowerCase())
    breaks('challengeForOtherUser', "The challenge was issued in another user's creation options.");
  if (context.now >= claims.expiresAt * 1000) {
    breaks(
      'challengeExpired',
      `The challenge expired at ${new Date(claims.expiresAt * 1000).toISOString()} (challengeTimeoutDateTime).`,
    );
  }
}

/**
 * Key restrictions and attestation enforcement, per the rules (policy or passkey profiles) that
 * apply to the user: some applicable rule must allow the AAGUID and, if it enforces attestation,
 * find the attestation trusted.
 */
export function checkKeyAdmitted(
  policy: Fido2PolicySettings,
  user: { userId: string; groupIds: ReadonlySet<string> },
  key: {
    aaguid: string;
    passkeyType: 'deviceBound' | 'synced';
    trusted: boolean;
    untrustedReason: string | undefined;
    type: string;
  },
): void {
  const applicable = rulesForUser(policy, user.userId, user.groupIds);
  const rules = applicable.filter((r) => r.passkeyTypes.includes(key.passkeyType));
  if (applicable.length > 0 && rules.length === 0) {
    breaks(
      'passkeyType',
      `The passkey profiles that apply to the user do not admit ${key.passkeyType} passkeys.`,
    );
  }
  const allowing = rules.filter((r) => aaguidAllowed(r.keyRestrictions, key.aaguid));
  if (allowing.length === 0) {
    breaks(
      'aaguidNotAllowed',
      `AAGUID ${key.aaguid} is not allowed by the key restrictions${rules.some((r) => r.profileId) ? ' of the passkey profiles that apply to the user' : ''}.`,
    );
  }
  if (!allowing.some((r) => !r.attestationEnforced || key.trusted)) {
    breaks(
      'attestationNotTrusted',
      `Attestation is enforced and the ${key.type} attestation is not trusted: ${key.untrustedReason ?? 'unknown'}.`,
    );
  }
}
