import { z } from 'zod';

/**
 * The shape of the local tenant's seed file (see demo-organisation.json). Objects are strict, so a
 * misspelt property is reported instead of silently ignored; cross-references (managers, group
 * members, targets, personas) are checked in `checkSeedReferences` after the shape is known good.
 */

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const guid = z.string().regex(GUID, 'must be a GUID like 5d2d1e3a-7c4b-4f1e-9a8d-3b6c2e1f0a47');
const upn = z.string().regex(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, 'must be a user principal name');
const base64url = z.string().regex(/^[A-Za-z0-9_-]+$/, 'must be base64url without padding');
const dateTime = z.iso.datetime({ offset: false });

/** How creationOptions encodes this user's excludeCredentials ids (Graph has sent all three). */
export const excludeCredentialEncodings = ['base64url', 'base64', 'dotnet'] as const;
export type ExcludeCredentialEncoding = (typeof excludeCredentialEncodings)[number];

const seededFido2Method = z.strictObject({
  credentialId: base64url,
  aaGuid: guid,
  displayName: z.string().max(30),
  createdDateTime: dateTime,
  transports: z.array(z.enum(['usb', 'nfc', 'ble', 'internal', 'hybrid'])).default([]),
});

const user = z.strictObject({
  id: guid,
  userPrincipalName: upn,
  displayName: z.string().min(1),
  givenName: z.string().nullable().default(null),
  surname: z.string().nullable().default(null),
  mail: z.string().nullable().default(null),
  jobTitle: z.string().nullable().default(null),
  department: z.string().nullable().default(null),
  employeeId: z.string().nullable().default(null),
  accountEnabled: z.boolean().default(true),
  officeLocation: z.string().nullable().default(null),
  streetAddress: z.string().nullable().default(null),
  city: z.string().nullable().default(null),
  postalCode: z.string().nullable().default(null),
  state: z.string().nullable().default(null),
  country: z.string().nullable().default(null),
  usageLocation: z.string().length(2).nullable().default(null),
  businessPhones: z.array(z.string()).default([]),
  mobilePhone: z.string().nullable().default(null),
  preferredLanguage: z.string().nullable().default(null),
  /** The manager's userPrincipalName; absent for the one person at the top. */
  manager: upn.optional(),
  excludeCredentialEncoding: z.enum(excludeCredentialEncodings).default('base64url'),
  fido2Methods: z.array(seededFido2Method).default([]),
});

const group = z.strictObject({
  id: guid,
  displayName: z.string().min(1),
  description: z.string().nullable().default(null),
  mailNickname: z.string().min(1),
  /** Members by userPrincipalName. */
  members: z.array(upn),
});

const appRole = z.strictObject({
  id: guid,
  value: z.string().regex(/^[A-Za-z0-9._-]+$/, 'must be a role value like Station.Operator'),
  displayName: z.string(),
  allowedMemberTypes: z.array(z.enum(['User', 'Application'])).min(1),
});

const scope = z.strictObject({
  id: guid,
  value: z.string().regex(/^[A-Za-z0-9._-]+$/, 'must be a scope value like access_as_user'),
  displayName: z.string(),
});

const application = z.strictObject({
  /** A short name the rest of the seed and the test controls use (functions, station…). */
  key: z.string().regex(/^[a-z][a-z0-9-]*$/, 'must be a lowercase key like functions'),
  clientId: guid,
  displayName: z.string().min(1),
  clientType: z.enum(['confidential', 'public']),
  /** Local-only secrets; worthless anywhere but this emulator. */
  clientSecrets: z.array(z.string().min(16)).default([]),
  /** PEM certificates whose keys may sign client assertions. */
  certificates: z.array(z.string().includes('BEGIN CERTIFICATE')).default([]),
  allowDeviceCode: z.boolean().default(false),
  redirectUris: z.array(z.url()).default([]),
  api: z
    .strictObject({
      identifierUris: z.array(z.string().min(1)).min(1),
      appRoles: z.array(appRole).default([]),
      scopes: z.array(scope).default([]),
      preAuthorizedClientIds: z.array(guid).default([]),
    })
    .optional(),
  /** Permissions granted (with admin consent) on other resources: by identifier URI or app id. */
  requiredResourceAccess: z
    .array(
      z.strictObject({
        resource: z.string().min(1),
        roles: z.array(z.string()).default([]),
        scopes: z.array(z.string()).default([]),
      }),
    )
    .default([]),
});

const target = z.strictObject({
  targetType: z.enum(['group', 'user']),
  /** A group or user id, or "all_users". */
  id: z.union([z.literal('all_users'), guid]),
  isRegistrationRequired: z.boolean().default(false),
  allowedPasskeyProfiles: z.array(guid).optional(),
});

const keyRestrictions = z.strictObject({
  isEnforced: z.boolean(),
  enforcementType: z.enum(['allow', 'block']),
  aaGuids: z.array(guid),
});

export const passkeyProfileSchema = z.strictObject({
  id: guid,
  name: z.string().min(1),
  passkeyTypes: z.string().regex(/^(deviceBound|synced)(,(deviceBound|synced))*$/),
  attestationEnforcement: z.enum(['disabled', 'registrationOnly']),
  keyRestrictions,
});

export const fido2PolicySchema = z.strictObject({
  state: z.enum(['enabled', 'disabled']),
  isSelfServiceRegistrationAllowed: z.boolean(),
  isAttestationEnforced: z.boolean(),
  keyRestrictions,
  includeTargets: z.array(target),
  excludeTargets: z.array(target.pick({ targetType: true, id: true })).default([]),
  /**
   * Beta's passkey profiles. Absent: the tenant shows one default profile mirroring the settings
   * above (as Entra did when it introduced profiles) and evaluates the settings above.
   */
  passkeyProfiles: z.array(passkeyProfileSchema).optional(),
});

export const tenantSeedSchema = z.strictObject({
  $comment: z.string().optional(),
  tenant: z.strictObject({
    id: guid,
    displayName: z.string().min(1),
    defaultDomain: z.string().min(3),
  }),
  applications: z.array(application).min(1),
  /** Persona name → userPrincipalName; a configured persona signs in with no browser. */
  personas: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/), upn),
  users: z.array(user).min(1),
  groups: z.array(group).default([]),
  appRoleAssignments: z
    .array(
      z.strictObject({
        /** A user's userPrincipalName or a group's id. */
        principal: z.string().min(1),
        /** The application key whose API defines the role. */
        resource: z.string().min(1),
        appRole: z.string().min(1),
      }),
    )
    .default([]),
  teamsApps: z
    .array(
      z.strictObject({
        id: guid,
        externalId: guid,
        displayName: z.string().min(1),
        distributionMethod: z.enum(['store', 'organization', 'sideloaded']),
        azureADAppId: guid,
        version: z.string().min(1),
      }),
    )
    .default([]),
  teamsAppInstallations: z.array(z.strictObject({ user: upn, teamsApp: guid })).default([]),
  fido2Policy: fido2PolicySchema,
  /**
   * The authenticators of the tenant's FIDO Metadata Service (MDS3) blob, as Entra uses it: each
   * root is listed for these AAGUIDs, and only listed AAGUIDs can pass enforced attestation.
   */
  attestationRoots: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        pem: z.string().includes('BEGIN CERTIFICATE'),
        aaguids: z.array(guid).default([]),
      }),
    )
    .default([]),
});

export type TenantSeed = z.output<typeof tenantSeedSchema>;
export type SeedUser = TenantSeed['users'][number];
export type SeedGroup = TenantSeed['groups'][number];
export type SeedApplication = TenantSeed['applications'][number];
export type SeedFido2Method = SeedUser['fido2Methods'][number];
export type Fido2PolicySettings = z.output<typeof fido2PolicySchema>;
export type PasskeyProfile = z.output<typeof passkeyProfileSchema>;
export type KeyRestrictions = Fido2PolicySettings['keyRestrictions'];
export type TeamsAppSeed = TenantSeed['teamsApps'][number];

/**
 * The seed's application whose API a resource identifier names (its client id or one of its
 * identifier URIs; case and trailing slashes aside, as Entra compares them), if any.
 */
export function apiApplicationFor(
  applications: readonly SeedApplication[],
  identifier: string,
): SeedApplication | undefined {
  const name = identifier.replace(/\/+$/, '').toLowerCase();
  return applications.find(
    (a) =>
      a.api !== undefined &&
      (a.clientId.toLowerCase() === name ||
        a.api.identifierUris.some((u) => u.replace(/\/+$/, '').toLowerCase() === name)),
  );
}

/**
 * Cross-reference checks that a schema cannot express. Returns one message per problem, each
 * naming where it is, so a broken seed is fixed in one pass.
 */
export function checkSeedReferences(seed: TenantSeed): string[] {
  const problems: string[] = [];
  const upns = new Map<string, number>();
  const ids = new Set<string>();
  seed.users.forEach((u, i) => {
    const key = u.userPrincipalName.toLowerCase();
    if (upns.has(key))
      problems.push(`users[${i}].userPrincipalName: ${u.userPrincipalName} is used twice.`);
    upns.set(key, i);
    if (ids.has(u.id.toLowerCase())) problems.push(`users[${i}].id: ${u.id} is used twice.`);
    ids.add(u.id.toLowerCase());
  });
  const groupIds = new Set<string>();
  seed.groups.forEach((g, i) => {
    if (groupIds.has(g.id.toLowerCase()) || ids.has(g.id.toLowerCase()))
      problems.push(`groups[${i}].id: ${g.id} is used twice.`);
    groupIds.add(g.id.toLowerCase());
    g.members.forEach((m, j) => {
      if (!upns.has(m.toLowerCase()))
        problems.push(`groups[${i}].members[${j}]: no user has userPrincipalName ${m}.`);
    });
  });
  seed.users.forEach((u, i) => {
    if (u.manager === undefined) return;
    if (!upns.has(u.manager.toLowerCase()))
      problems.push(`users[${i}].manager: no user has userPrincipalName ${u.manager}.`);
    else if (u.manager.toLowerCase() === u.userPrincipalName.toLowerCase())
      problems.push(`users[${i}].manager: ${u.userPrincipalName} cannot be their own manager.`);
  });
  const credentialIds = new Set<string>();
  seed.users.forEach((u, i) =>
    u.fido2Methods.forEach((m, j) => {
      if (credentialIds.has(m.credentialId))
        problems.push(`users[${i}].fido2Methods[${j}].credentialId is registered twice.`);
      credentialIds.add(m.credentialId);
    }),
  );
  const appKeys = new Map(seed.applications.map((a) => [a.key, a]));
  const clientIds = new Set<string>();
  seed.applications.forEach((a, i) => {
    if (clientIds.has(a.clientId.toLowerCase()))
      problems.push(`applications[${i}].clientId: ${a.clientId} is used twice.`);
    clientIds.add(a.clientId.toLowerCase());
    if (a.clientType === 'public' && a.clientSecrets.length + a.certificates.length > 0)
      problems.push(`applications[${i}]: a public client cannot have secrets or certificates.`);
  });
  if (appKeys.size !== seed.applications.length)
    problems.push('applications: keys must be unique.');
  for (const [name, personaUpn] of Object.entries(seed.personas)) {
    if (!upns.has(personaUpn.toLowerCase()))
      problems.push(`personas.${name}: no user has userPrincipalName ${personaUpn}.`);
  }
  seed.appRoleAssignments.forEach((a, i) => {
    const app = appKeys.get(a.resource);
    if (!app)
      problems.push(`appRoleAssignments[${i}].resource: no application has key ${a.resource}.`);
    else {
      const role = app.api?.appRoles.find((r) => r.value === a.appRole);
      if (!role)
        problems.push(
          `appRoleAssignments[${i}].appRole: ${a.resource} defines no app role ${a.appRole}.`,
        );
      else if (!role.allowedMemberTypes.includes('User'))
        problems.push(
          `appRoleAssignments[${i}].appRole: ${a.appRole} of ${a.resource} is for applications only; users and groups cannot be assigned it.`,
        );
    }
    if (!upns.has(a.principal.toLowerCase()) && !groupIds.has(a.principal.toLowerCase()))
      problems.push(
        `appRoleAssignments[${i}].principal: ${a.principal} is neither a user's userPrincipalName nor a group id.`,
      );
  });
  // Application permissions on the seed's own APIs: Entra grants an app only roles the API
  // defines for applications (allowedMemberTypes with Application), and scopes it defines.
  seed.applications.forEach((client, i) => {
    client.requiredResourceAccess.forEach((access, j) => {
      const api = apiApplicationFor(seed.applications, access.resource);
      if (!api?.api) return; // Microsoft Graph and other outside resources.
      const where = `applications[${i}].requiredResourceAccess[${j}]`;
      for (const value of access.roles) {
        const role = api.api.appRoles.find((r) => r.value === value);
        if (!role) problems.push(`${where}.roles: ${api.key} defines no app role ${value}.`);
        else if (!role.allowedMemberTypes.includes('Application'))
          problems.push(
            `${where}.roles: ${value} of ${api.key} is for users only; an application cannot be granted it.`,
          );
      }
      for (const value of access.scopes) {
        if (!api.api.scopes.some((scope) => scope.value === value))
          problems.push(`${where}.scopes: ${api.key} defines no scope ${value}.`);
      }
    });
  });
  const teamsAppIds = new Set(seed.teamsApps.map((t) => t.id.toLowerCase()));
  seed.teamsAppInstallations.forEach((t, i) => {
    if (!upns.has(t.user.toLowerCase()))
      problems.push(`teamsAppInstallations[${i}].user: no user has userPrincipalName ${t.user}.`);
    if (!teamsAppIds.has(t.teamsApp.toLowerCase()))
      problems.push(`teamsAppInstallations[${i}].teamsApp: no Teams app has id ${t.teamsApp}.`);
  });
  problems.push(...checkPolicyReferences(seed.fido2Policy, ids, groupIds, 'fido2Policy'));
  return problems;
}

/** Target and profile references of a FIDO2 policy (also used when tests edit the policy). */
export function checkPolicyReferences(
  policy: Fido2PolicySettings,
  userIds: ReadonlySet<string>,
  groupIds: ReadonlySet<string>,
  where: string,
): string[] {
  const problems: string[] = [];
  const profileIds = new Set((policy.passkeyProfiles ?? []).map((p) => p.id.toLowerCase()));
  const checkTarget = (t: { targetType: string; id: string }, path: string) => {
    if (t.id === 'all_users') return;
    const known = t.targetType === 'group' ? groupIds : userIds;
    if (!known.has(t.id.toLowerCase()))
      problems.push(`${path}.id: no ${t.targetType} has id ${t.id}.`);
  };
  policy.includeTargets.forEach((t, i) => {
    checkTarget(t, `${where}.includeTargets[${i}]`);
    t.allowedPasskeyProfiles?.forEach((p, j) => {
      if (!profileIds.has(p.toLowerCase()))
        problems.push(
          `${where}.includeTargets[${i}].allowedPasskeyProfiles[${j}]: no passkey profile has id ${p}.`,
        );
    });
  });
  policy.excludeTargets.forEach((t, i) => checkTarget(t, `${where}.excludeTargets[${i}]`));
  return problems;
}
