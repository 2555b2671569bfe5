import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { VIRTUAL_KEY_AAGUID } from '../../station/virtual-key/virtual-key.ts';
import { startLocalTenant, type LocalTenant } from '../../local/tenant/start-local-tenant.ts';
import { appToken, call } from './support/tenant-http.ts';
import {
  makeCredentialFromOptions,
  registrationBody,
  softwareKey,
  type GraphCreationOptions,
} from './support/software-key-registration.ts';

const POLICY = '/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/fido2';
let tenant: LocalTenant;
let token: string;

beforeAll(async () => {
  tenant = await startLocalTenant({ tlsDirectory: mkdtempSync(join(tmpdir(), 'tenant-tls-')) });
  token = await appToken(tenant);
});
afterAll(async () => {
  await tenant.close();
});
beforeEach(() => {
  tenant.controls.reset();
});

describe('the FIDO2 authentication method policy', () => {
  it('v1.0: state, self-service, attestation, key restrictions, targets and passkey profiles', async () => {
    const answer = await call(tenant, 'GET', `/v1.0${POLICY}`, { token });
    expect(answer.status).toBe(200);
    const contractors = tenant.directory.groups.find((g) =>
      g.displayName.startsWith('FIDO2 Excluded'),
    )!;
    expect(answer.json).toMatchObject({
      '@odata.type': '#microsoft.graph.fido2AuthenticationMethodConfiguration',
      id: 'Fido2',
      state: 'enabled',
      isSelfServiceRegistrationAllowed: true,
      isAttestationEnforced: true,
      keyRestrictions: { isEnforced: true, enforcementType: 'allow' },
      includeTargets: [{ targetType: 'group', id: 'all_users', isRegistrationRequired: false }],
      excludeTargets: [{ targetType: 'group', id: contractors.id }],
    });
    expect(answer.json.keyRestrictions.aaGuids).toContain(VIRTUAL_KEY_AAGUID);
    // Passkey profiles are GA: v1.0 shows them as beta does.
    const beta = await call(tenant, 'GET', `/beta${POLICY}`, { token });
    expect(answer.json.passkeyProfiles).toEqual(beta.json.passkeyProfiles);
    expect(answer.json.defaultPasskeyProfile).toBe('00000000-0000-0000-0000-000000000001');
    expect(answer.json.includeTargets[0].allowedPasskeyProfiles).toEqual([
      '00000000-0000-0000-0000-000000000001',
    ]);
  });

  it('beta: the passkey profiles too, a default one mirroring the policy until profiles are configured', async () => {
    const answer = await call(tenant, 'GET', `/beta${POLICY}`, { token });
    expect(answer.json.passkeyProfiles).toEqual([
      {
        id: '00000000-0000-0000-0000-000000000001',
        name: 'Default passkey profile',
        passkeyTypes: 'deviceBound',
        attestationEnforcement: 'registrationOnly',
        keyRestrictions: answer.json.keyRestrictions,
      },
    ]);
    expect(answer.json.includeTargets[0].allowedPasskeyProfiles).toEqual([
      '00000000-0000-0000-0000-000000000001',
    ]);
    tenant.controls.editPolicy({ isAttestationEnforced: false });
    const relaxed = await call(tenant, 'GET', `/beta${POLICY}`, { token });
    expect(relaxed.json.passkeyProfiles[0].attestationEnforcement).toBe('disabled');
  });

  it('with passkey profiles, the profile a user is targeted with decides the AAGUID', async () => {
    const operators = tenant.directory.groups.find((g) => g.displayName === 'Mailroom Operators')!;
    const strictProfile = '7b1c9a3e-0f2d-4e5b-9c8a-6d5e4f3a2b10';
    const looseProfile = '8c2d0b4f-1a3e-4f6c-8d9b-7e6f5a4b3c21';
    tenant.controls.editPolicy({
      includeTargets: [
        {
          targetType: 'group',
          id: operators.id,
          isRegistrationRequired: false,
          allowedPasskeyProfiles: [looseProfile],
        },
        {
          targetType: 'group',
          id: 'all_users',
          isRegistrationRequired: false,
          allowedPasskeyProfiles: [strictProfile],
        },
      ],
      passkeyProfiles: [
        {
          id: strictProfile,
          name: 'YubiKeys only',
          passkeyTypes: 'deviceBound',
          attestationEnforcement: 'registrationOnly',
          keyRestrictions: {
            isEnforced: true,
            enforcementType: 'allow',
            aaGuids: ['cb69481e-8ff7-4039-93ec-0a2729a154a8'],
          },
        },
        {
          id: looseProfile,
          name: 'Software keys',
          passkeyTypes: 'deviceBound',
          attestationEnforcement: 'registrationOnly',
          keyRestrictions: {
            isEnforced: true,
            enforcementType: 'allow',
            aaGuids: [VIRTUAL_KEY_AAGUID],
          },
        },
      ],
    });
    const beta = await call(tenant, 'GET', `/beta${POLICY}`, { token });
    expect(beta.json.passkeyProfiles.map((p: { name: string }) => p.name)).toEqual([
      'YubiKeys only',
      'Software keys',
    ]);
    const key = await softwareKey();
    try {
      for (const [upn, expected] of [
        ['maja.lind@fabrikam.example', 400],
        ['omar.haddad@fabrikam.example', 201],
      ] as const) {
        const options = (
          await call(
            tenant,
            'GET',
            `/beta/users/${upn}/authentication/fido2Methods/creationOptions`,
            { token },
          )
        ).json as GraphCreationOptions;
        const credential = await makeCredentialFromOptions(key, options);
        const answer = await call(
          tenant,
          'POST',
          `/beta/users/${upn}/authentication/fido2Methods`,
          { token, json: registrationBody(credential) },
        );
        expect(answer.status, upn).toBe(expected);
      }
      expect(tenant.controls.rejections().map((r) => r.cause)).toEqual(['aaguidNotAllowed']);
    } finally {
      await key.close();
    }
  });

  it('refuses a policy edit that names unknown groups or profiles', () => {
    expect(() =>
      tenant.controls.editPolicy({
        excludeTargets: [{ targetType: 'group', id: '11111111-2222-4333-8444-555555555555' }],
      }),
    ).toThrow(/excludeTargets\[0\]\.id: no group has id/);
    expect(() => tenant.controls.editPolicy({ state: 'paused' as never })).toThrow(/policy\.state/);
  });
});

describe('Teams app installations', () => {
  const courierApp = () =>
    tenant.directory.teamsApps.find((t) => t.displayName === 'Passkey Courier')!;
  const helpdeskApp = () =>
    tenant.directory.teamsApps.find((t) => t.displayName === 'Fabrikam Helpdesk')!;
  const install = (upn: string, appId: string) =>
    call(tenant, 'POST', `/v1.0/users/${upn}/teamwork/installedApps`, {
      token,
      json: {
        'teamsApp@odata.bind': `https://graph.microsoft.com/v1.0/appCatalogs/teamsApps/${appId}`,
      },
    });

  it('installs the bot for a user (201, no body), then 409 Conflict', async () => {
    const first = await install('sofia.marin@fabrikam.example', courierApp().id);
    expect(first.status, first.text).toBe(201);
    expect(first.text).toBe('');
    const second = await install('sofia.marin@fabrikam.example', courierApp().id);
    expect(second.status).toBe(409);
    expect(second.json.error.code).toBe('Conflict');
  });

  it('with a Self permission, cannot install another app and does not see it', async () => {
    const other = await install('sofia.marin@fabrikam.example', helpdeskApp().id);
    expect(other.status).toBe(403);
    const maja = await call(
      tenant,
      'GET',
      '/v1.0/users/maja.lind@fabrikam.example/teamwork/installedApps?$expand=teamsApp',
      { token },
    );
    expect(maja.json.value).toEqual([]); // she has only the helpdesk app
  });

  it('finds the installation by teamsApp/externalId with $expand, then its 1:1 chat', async () => {
    const app = courierApp();
    const found = await call(
      tenant,
      'GET',
      `/v1.0/users/lars.eriksson@fabrikam.example/teamwork/installedApps?$expand=teamsApp,teamsAppDefinition&$filter=teamsApp/externalId eq '${app.externalId}'`,
      { token },
    );
    expect(found.status, found.text).toBe(200);
    expect(found.json.value).toHaveLength(1);
    const installation = found.json.value[0];
    expect(installation.teamsApp).toEqual({
      id: app.id,
      externalId: app.externalId,
      displayName: 'Passkey Courier',
      distributionMethod: 'organization',
    });
    expect(installation.teamsAppDefinition).toMatchObject({
      teamsAppId: app.id,
      version: '1.0.0',
      publishingState: 'published',
    });
    const lars = tenant.directory.findUser('lars.eriksson@fabrikam.example')!;
    expect(Buffer.from(installation.id as string, 'base64').toString()).toBe(
      `${lars.id}##${app.id}`,
    );
    const chat = await call(
      tenant,
      'GET',
      `/v1.0/users/${lars.id}/teamwork/installedApps/${encodeURIComponent(installation.id as string)}/chat`,
      { token },
    );
    expect(chat.status, chat.text).toBe(200);
    expect(chat.json).toMatchObject({
      '@odata.context': `${tenant.url}/v1.0/$metadata#chats/$entity`,
      id: `19:${lars.id}_${app.azureADAppId}@unq.gbl.spaces`,
      chatType: 'oneOnOne',
      tenantId: tenant.tenantId,
    });
    const none = await call(
      tenant,
      'GET',
      "/v1.0/users/lars.eriksson@fabrikam.example/teamwork/installedApps?$filter=teamsApp/externalId eq 'nope'",
      { token },
    );
    expect(none.json.value).toEqual([]);
    const badFilter = await call(
      tenant,
      'GET',
      "/v1.0/users/lars.eriksson@fabrikam.example/teamwork/installedApps?$filter=startswith(teamsApp/displayName,'P')",
      { token },
    );
    expect(badFilter.status).toBe(400);
  });
});
