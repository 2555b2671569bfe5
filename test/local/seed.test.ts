import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseAaguid } from '../../core/webauthn/aaguid.ts';
import { Directory } from '../../local/tenant/directory.ts';
import { LocalTenantError } from '../../local/tenant/local-tenant-error.ts';
import { loadTenantSeed, parseTenantSeed } from '../../local/tenant/seed/load-tenant-seed.ts';
import { startLocalTenant } from '../../local/tenant/start-local-tenant.ts';
import { issueAttestationIdentity } from '../../station/virtual-key/attestation-authority.ts';
import { VIRTUAL_KEY_AAGUID } from '../../station/virtual-key/virtual-key.ts';
import { caught } from '../support/caught.ts';

const seed = await loadTenantSeed();
const directory = new Directory(seed);

describe('the demo organisation', () => {
  it('has about twenty people with managers, one at the top, and a disabled manager with reports', () => {
    expect(seed.users).toHaveLength(20);
    const top = directory.users.filter((u) => u.managerId === undefined);
    expect(top.map((u) => u.displayName)).toEqual(['Nadia Okafor']);
    const disabled = directory.users.filter((u) => !u.accountEnabled);
    expect(disabled.map((u) => u.displayName)).toEqual(['Tomas Berg']);
    expect(
      directory.users.filter((u) => u.managerId === disabled[0]!.id).length,
    ).toBeGreaterThanOrEqual(2);
  });

  it('gives everyone an office address to ship to', () => {
    for (const user of seed.users) {
      for (const field of [
        'streetAddress',
        'city',
        'postalCode',
        'country',
        'officeLocation',
      ] as const) {
        expect(user[field], `${user.userPrincipalName} ${field}`).toMatch(/\S/);
      }
    }
  });

  it('has a fallback approvers group of enabled people and an operators group', () => {
    const fallback = directory.groups.find(
      (g) => g.displayName === 'Passkey Courier Fallback Approvers',
    )!;
    expect(fallback.memberIds.length).toBeGreaterThan(0);
    for (const id of fallback.memberIds) expect(directory.findUser(id)!.accountEnabled).toBe(true);
    expect(
      directory.groups.find((g) => g.displayName === 'Mailroom Operators')!.memberIds.length,
    ).toBeGreaterThan(0);
  });

  it('gives the personas the app roles the real registrations carry', () => {
    const functions = directory.applicationByKey('functions')!;
    const roles = (persona: string) =>
      directory.appRolesOf(directory.personas.get(persona)!.id, functions);
    expect(roles('operator')).toEqual(['Station.Operator']);
    expect(roles('admin')).toEqual(['Courier.Admin']);
    expect(roles('employee')).toEqual([]);
    expect(roles('manager')).toEqual([]);
  });

  it("trusts the software key's attestation root, and that root's batch certificates chain to it", async () => {
    const trusted = new X509Certificate(seed.attestationRoots[0]!.pem);
    // The root is re-signed each time (ECDSA), so compare what identifies it: subject and key.
    const identity = await issueAttestationIdentity(parseAaguid(VIRTUAL_KEY_AAGUID));
    const root = new X509Certificate(identity.rootPem);
    expect(trusted.subject).toBe(root.subject);
    expect(trusted.publicKey.equals(root.publicKey)).toBe(true);
    const batch = new X509Certificate(identity.certificate);
    expect(batch.checkIssued(trusted) && batch.verify(trusted.publicKey)).toBe(true);
    expect(seed.fido2Policy.keyRestrictions.aaGuids).toContain(VIRTUAL_KEY_AAGUID);
    expect(seed.fido2Policy.isSelfServiceRegistrationAllowed).toBe(true);
  });
});

describe('seed validation', () => {
  it('lists every problem, one line each, saying where it is', () => {
    const broken = structuredClone(seed) as unknown as Record<string, unknown> & typeof seed;
    broken.users[1]!.manager = 'ghost@fabrikam.example';
    broken.groups[0]!.members.push('nobody@fabrikam.example');
    broken.personas.operator = 'missing@fabrikam.example';
    const error = caught(LocalTenantError, () => parseTenantSeed(broken, 'broken.json'));
    expect(error.code).toBe('SEED_INVALID');
    expect(error.problems).toEqual([
      'groups[0].members[20]: no user has userPrincipalName nobody@fabrikam.example.',
      'users[1].manager: no user has userPrincipalName ghost@fabrikam.example.',
      'personas.operator: no user has userPrincipalName missing@fabrikam.example.',
    ]);
    expect(error.message.split('\n')).toHaveLength(4);
  });

  it('grants an application only the app roles its API defines for applications', () => {
    const broken = structuredClone(seed);
    const kiosk = broken.applications.find((a) => a.key === 'station-kiosk')!;
    kiosk.requiredResourceAccess[0]!.roles.push('Courier.Admin', 'Courier.Owner');
    kiosk.requiredResourceAccess[0]!.scopes.push('access_as_admin');
    // And a role for applications only, assigned to a person.
    broken.applications[0]!.api!.appRoles.push({
      id: '0b6c1f52-8a1e-4b7d-9c3f-5e2a7d4c6b81',
      value: 'Courier.Sync',
      displayName: 'Background sync',
      allowedMemberTypes: ['Application'],
    });
    broken.appRoleAssignments.push({
      principal: 'maja.lind@fabrikam.example',
      resource: 'functions',
      appRole: 'Courier.Sync',
    });
    const index = broken.applications.indexOf(kiosk);
    const assignment = broken.appRoleAssignments.length - 1;
    const error = caught(LocalTenantError, () => parseTenantSeed(broken));
    expect(error.problems).toEqual([
      `appRoleAssignments[${assignment}].appRole: Courier.Sync of functions is for applications only; users and groups cannot be assigned it.`,
      `applications[${index}].requiredResourceAccess[0].roles: Courier.Admin of functions is for users only; an application cannot be granted it.`,
      `applications[${index}].requiredResourceAccess[0].roles: functions defines no app role Courier.Owner.`,
      `applications[${index}].requiredResourceAccess[0].scopes: functions defines no scope access_as_admin.`,
    ]);
    // The seed as shipped: the kiosk may be a station operator, as an application.
    expect(parseTenantSeed(seed).applications.map((a) => a.key)).toContain('station-kiosk');
  });

  it('reports shape errors with their paths, including unknown properties', () => {
    const broken = structuredClone(seed) as unknown as {
      users: Record<string, unknown>[];
      tenant: Record<string, unknown>;
    };
    broken.users[0]!.officeLocaton = 'typo';
    broken.users[2]!.id = 'not-a-guid';
    broken.tenant.id = 42;
    const error = caught(LocalTenantError, () => parseTenantSeed(broken));
    expect(error.problems).toHaveLength(3);
    expect(error.problems.join('\n')).toMatch(/^tenant\.id: /m);
    expect(error.problems.join('\n')).toMatch(/^users\[0\]: Unrecognized key: "officeLocaton"/m);
    expect(error.problems.join('\n')).toMatch(/^users\[2\]\.id: must be a GUID/m);
  });

  it('says so when the file is missing or not JSON, and when the persona is unknown', async () => {
    await expect(loadTenantSeed('/nonexistent/seed.json')).rejects.toMatchObject({
      code: 'SEED_INVALID',
    });
    await expect(
      startLocalTenant({ persona: 'ceo', tlsDirectory: '/nonexistent' }),
    ).rejects.toMatchObject({
      code: 'CONFIGURATION_INVALID',
      message: 'No persona named "ceo"; the seed has employee, manager, operator, admin.',
    });
  });
});
