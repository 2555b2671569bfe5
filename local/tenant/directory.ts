import { createHash } from 'node:crypto';
import {
  apiApplicationFor,
  type SeedApplication,
  type SeedGroup,
  type SeedUser,
  type TeamsAppSeed,
  type TenantSeed,
} from './seed/tenant-seed.ts';

/** Microsoft Graph's own application id and identifier URI, as Entra knows them. */
export const MICROSOFT_GRAPH = {
  appId: '00000003-0000-0000-c000-000000000000',
  identifierUri: 'https://graph.microsoft.com',
  displayName: 'Microsoft Graph',
} as const;

export interface DirectoryUser extends SeedUser {
  managerId: string | undefined;
}

export interface DirectoryGroup extends Omit<SeedGroup, 'members'> {
  memberIds: string[];
}

/** What a scope's resource part names: Graph, or one of the seed's APIs. */
export type Resource =
  | { kind: 'graph'; appId: string; audience: string }
  | { kind: 'api'; app: SeedApplication; audience: string };

/**
 * The tenant's read-only directory, built once from the seed: people, groups, app registrations,
 * app role assignments and the Teams app catalog. Lookups accept ids and UPNs case-insensitively,
 * as Entra does. What changes at run time (methods, installations, policy) lives in TenantState.
 */
export class Directory {
  readonly tenantId: string;
  readonly displayName: string;
  readonly defaultDomain: string;
  readonly users: readonly DirectoryUser[];
  readonly groups: readonly DirectoryGroup[];
  readonly applications: readonly SeedApplication[];
  readonly teamsApps: readonly TeamsAppSeed[];
  readonly personas: ReadonlyMap<string, DirectoryUser>;
  private readonly usersByKey = new Map<string, DirectoryUser>();
  private readonly groupsById = new Map<string, DirectoryGroup>();
  private readonly groupsOfUser = new Map<string, Set<string>>();
  private readonly roleAssignments: TenantSeed['appRoleAssignments'];

  constructor(seed: TenantSeed) {
    this.tenantId = seed.tenant.id.toLowerCase();
    this.displayName = seed.tenant.displayName;
    this.defaultDomain = seed.tenant.defaultDomain;
    const idByUpn = new Map(seed.users.map((u) => [u.userPrincipalName.toLowerCase(), u.id]));
    this.users = seed.users.map((u) => ({
      ...u,
      managerId: u.manager === undefined ? undefined : idByUpn.get(u.manager.toLowerCase()),
    }));
    for (const user of this.users) {
      this.usersByKey.set(user.id.toLowerCase(), user);
      this.usersByKey.set(user.userPrincipalName.toLowerCase(), user);
    }
    this.groups = seed.groups.map(({ members, ...group }) => ({
      ...group,
      memberIds: members.map((m) => idByUpn.get(m.toLowerCase())!),
    }));
    for (const group of this.groups) {
      this.groupsById.set(group.id.toLowerCase(), group);
      for (const member of group.memberIds) {
        const set = this.groupsOfUser.get(member) ?? new Set<string>();
        set.add(group.id.toLowerCase());
        this.groupsOfUser.set(member, set);
      }
    }
    this.applications = seed.applications;
    this.teamsApps = seed.teamsApps;
    this.roleAssignments = seed.appRoleAssignments;
    this.personas = new Map(
      Object.entries(seed.personas).map(([name, upn]) => [name, this.findUser(upn)!]),
    );
  }

  /** A user by object id or userPrincipalName. */
  findUser(idOrUpn: string): DirectoryUser | undefined {
    return this.usersByKey.get(idOrUpn.toLowerCase());
  }

  findGroup(id: string): DirectoryGroup | undefined {
    return this.groupsById.get(id.toLowerCase());
  }

  /** Ids (lowercase) of the groups the user is a direct member of. */
  groupIdsOf(userId: string): ReadonlySet<string> {
    return this.groupsOfUser.get(userId) ?? new Set();
  }

  findApplication(clientId: string): SeedApplication | undefined {
    const key = clientId.toLowerCase();
    return this.applications.find((a) => a.clientId.toLowerCase() === key);
  }

  applicationByKey(key: string): SeedApplication | undefined {
    return this.applications.find((a) => a.key === key);
  }

  /**
   * The resource a scope names, by identifier URI or application id, the way Entra resolves
   * `https://graph.microsoft.com/.default` or `api://{id}/access_as_user`. A v2 API's tokens carry
   * its client id as audience whatever name was used; Graph keeps the name it was asked by.
   */
  findResource(identifier: string): Resource | undefined {
    const name = identifier.replace(/\/+$/, '').toLowerCase();
    if (name === MICROSOFT_GRAPH.identifierUri || name === MICROSOFT_GRAPH.appId) {
      return {
        kind: 'graph',
        appId: MICROSOFT_GRAPH.appId,
        audience:
          name === MICROSOFT_GRAPH.appId ? MICROSOFT_GRAPH.appId : MICROSOFT_GRAPH.identifierUri,
      };
    }
    const app = apiApplicationFor(this.applications, name);
    return app ? { kind: 'api', app, audience: app.clientId } : undefined;
  }

  /** App roles (values) of `app`'s API assigned to the user directly or through a group. */
  appRolesOf(userId: string, app: SeedApplication): string[] {
    const user = this.findUser(userId);
    if (!user) return [];
    const groups = this.groupIdsOf(user.id);
    const roles = this.roleAssignments
      .filter(
        (a) =>
          a.resource === app.key &&
          (a.principal.toLowerCase() === user.userPrincipalName.toLowerCase() ||
            groups.has(a.principal.toLowerCase())),
      )
      .map((a) => a.appRole);
    return [...new Set(roles)].sort();
  }

  findTeamsApp(id: string): TeamsAppSeed | undefined {
    const key = id.toLowerCase();
    return this.teamsApps.find((t) => t.id.toLowerCase() === key);
  }

  /** The service principal object id of an application in this tenant (stable, derived). */
  servicePrincipalId(appId: string): string {
    return derivedGuid(`${this.tenantId}:service-principal:${appId.toLowerCase()}`);
  }
}

/** A GUID derived from text, shaped like a version 4 GUID so strict parsers accept it. */
export function derivedGuid(text: string): string {
  const hex = createHash('sha256').update(text).digest('hex');
  const variant = '89ab'[parseInt(hex[16]!, 16) % 4]!;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
