import { z } from 'zod';

const keyRestrictions = z.looseObject({
  isEnforced: z.boolean().nullable().optional(),
  enforcementType: z.enum(['allow', 'block', 'unknownFutureValue']).nullable().optional(),
  aaGuids: z.array(z.string()).nullable().optional(),
});

const target = z.looseObject({
  targetType: z.enum(['user', 'group', 'unknownFutureValue']),
  id: z.string().min(1),
  isRegistrationRequired: z.boolean().nullable().optional(),
  /** Passkey profiles that apply to this target (v1.0 and beta). */
  allowedPasskeyProfiles: z.array(z.string()).nullable().optional(),
});

/** microsoft.graph.passkeyProfile (v1.0 and beta). */
const passkeyProfile = z.looseObject({
  id: z.string().min(1),
  name: z.string().nullable().optional(),
  /** A flags enum: "deviceBound", "synced", "deviceBound,synced". */
  passkeyTypes: z.string().nullable().optional(),
  /** disabled | registrationOnly; replaces the deprecated isAttestationEnforced. */
  attestationEnforcement: z.string().nullable().optional(),
  keyRestrictions: keyRestrictions.nullable().optional(),
});

/**
 * The Passkey (FIDO2) authentication method policy
 * (microsoft.graph.fido2AuthenticationMethodConfiguration), which decides whether a POST of a
 * fido2Method is accepted.
 */
export const fido2PolicySchema = z.looseObject({
  id: z.string(),
  state: z.enum(['enabled', 'disabled']),
  isSelfServiceRegistrationAllowed: z.boolean().nullable().optional(),
  /** Deprecated in favour of the profiles' attestationEnforcement; read only without profiles. */
  isAttestationEnforced: z.boolean().nullable().optional(),
  keyRestrictions: keyRestrictions.nullable().optional(),
  includeTargets: z.array(target).nullable().optional(),
  excludeTargets: z
    .array(target.partial({ targetType: true }))
    .nullable()
    .optional(),
  passkeyProfiles: z.array(passkeyProfile).nullable().optional(),
  /** The baseline profile, for targets that name none. */
  defaultPasskeyProfile: z.string().nullable().optional(),
});

export type Fido2Policy = z.infer<typeof fido2PolicySchema>;
