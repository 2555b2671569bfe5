import { describe, expect, it } from 'vitest';
import { evaluateRegistrationPolicy } from '../../../core/graph/registration-policy.ts';
import type { Fido2Policy } from '../../../core/graph/schemas/fido2-policy-schema.ts';

const YUBIKEY_5 = 'cb69481e-8ff7-4039-93ec-0a2729a154a8';
const OTHER = '6e8b3c2a-5d1f-4f7e-9a0c-2b4d6f8a1c3e';

const policy = (overrides: Partial<Fido2Policy> = {}): Fido2Policy => ({
  id: 'Fido2',
  state: 'enabled',
  isSelfServiceRegistrationAllowed: true,
  isAttestationEnforced: true,
  keyRestrictions: {
    isEnforced: true,
    enforcementType: 'allow',
    aaGuids: [YUBIKEY_5.toUpperCase()],
  },
  includeTargets: [{ targetType: 'group', id: 'fido-users' }],
  excludeTargets: [],
  ...overrides,
});

const member = { id: 'user-1', groupIds: ['fido-users'] };

describe('the FIDO2 policy preflight', () => {
  it('allows a targeted user a key on the allow list (AAGUIDs compared case-insensitively)', () => {
    expect(evaluateRegistrationPolicy(policy(), member, YUBIKEY_5)).toEqual({
      allowed: true,
      problems: [],
      attestationEnforced: true,
    });
  });

  it('names every reason a registration would fail, each with what to do', () => {
    const result = evaluateRegistrationPolicy(
      policy({ state: 'disabled', isSelfServiceRegistrationAllowed: false }),
      { id: 'user-2', groupIds: [] },
      OTHER,
    );
    expect(result.allowed).toBe(false);
    expect(result.problems.map((p) => p.code)).toEqual([
      'POLICY_DISABLED',
      'SELF_SERVICE_DISABLED',
      'USER_NOT_TARGETED',
      'AAGUID_NOT_ALLOWED',
    ]);
    expect(result.problems[1]!.message).toMatch(/Allow self-service setup/);
    expect(result.problems[3]!.message).toContain(OTHER);
  });

  it('treats all_users as every user, and an exclusion as stronger than an inclusion', () => {
    const everyone = policy({ includeTargets: [{ targetType: 'group', id: 'all_users' }] });
    expect(evaluateRegistrationPolicy(everyone, { id: 'u', groupIds: [] }, YUBIKEY_5).allowed).toBe(
      true,
    );
    const excluded = policy({ excludeTargets: [{ targetType: 'user', id: 'user-1' }] });
    const result = evaluateRegistrationPolicy(excluded, member, YUBIKEY_5);
    expect(result.problems.map((p) => p.code)).toEqual(['USER_NOT_TARGETED']);
    expect(result.problems[0]!.message).toMatch(/excluded/);
  });

  it('honours a block list', () => {
    const blocking = policy({
      keyRestrictions: { isEnforced: true, enforcementType: 'block', aaGuids: [OTHER] },
    });
    expect(evaluateRegistrationPolicy(blocking, member, OTHER).problems.map((p) => p.code)).toEqual(
      ['AAGUID_NOT_ALLOWED'],
    );
    expect(evaluateRegistrationPolicy(blocking, member, YUBIKEY_5).allowed).toBe(true);
  });

  it('uses the passkey profiles of the targets that name them instead of the method-wide restrictions', () => {
    const profiled = policy({
      keyRestrictions: { isEnforced: true, enforcementType: 'allow', aaGuids: [] },
      includeTargets: [{ targetType: 'group', id: 'fido-users', allowedPasskeyProfiles: ['p1'] }],
      passkeyProfiles: [
        {
          id: 'p1',
          name: 'Security keys',
          attestationEnforcement: 'disabled',
          keyRestrictions: { isEnforced: true, enforcementType: 'allow', aaGuids: [OTHER] },
        },
        {
          id: 'p2',
          name: 'Unused',
          attestationEnforcement: 'registrationOnly',
          keyRestrictions: { isEnforced: true, enforcementType: 'allow', aaGuids: [] },
        },
      ],
    });
    expect(evaluateRegistrationPolicy(profiled, member, OTHER)).toEqual({
      allowed: true,
      problems: [],
      attestationEnforced: false,
    });
    expect(
      evaluateRegistrationPolicy(profiled, member, YUBIKEY_5).problems.map((p) => p.code),
    ).toEqual(['AAGUID_NOT_ALLOWED']);
  });

  it('applies the default profile to targets that name none, and skips profiles for synced passkeys only', () => {
    const profiles: NonNullable<Fido2Policy['passkeyProfiles']> = [
      {
        id: 'baseline',
        name: 'Default passkey profile',
        passkeyTypes: 'deviceBound,synced',
        attestationEnforcement: 'registrationOnly',
        keyRestrictions: { isEnforced: true, enforcementType: 'allow', aaGuids: [YUBIKEY_5] },
      },
      {
        id: 'phones',
        name: 'Synced passkeys',
        passkeyTypes: 'synced',
        attestationEnforcement: 'disabled',
        keyRestrictions: { isEnforced: false, enforcementType: 'allow', aaGuids: [] },
      },
    ];
    const byDefault = policy({ passkeyProfiles: profiles, defaultPasskeyProfile: 'baseline' });
    expect(evaluateRegistrationPolicy(byDefault, member, YUBIKEY_5)).toMatchObject({
      allowed: true,
      attestationEnforced: true,
    });
    const syncedOnly = policy({
      passkeyProfiles: profiles,
      isAttestationEnforced: false,
      includeTargets: [
        { targetType: 'group', id: 'fido-users', allowedPasskeyProfiles: ['phones'] },
      ],
    });
    expect(
      evaluateRegistrationPolicy(syncedOnly, member, YUBIKEY_5).problems.map((p) => p.code),
    ).toEqual(['PASSKEY_TYPE_NOT_ALLOWED']);
  });
});
