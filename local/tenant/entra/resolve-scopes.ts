import type { Directory, DirectoryUser, Resource } from '../directory.ts';
import type { SeedApplication } from '../seed/tenant-seed.ts';
import { missingParameter, OAuthError } from './oauth-error.ts';

/** The OpenID Connect scopes, which ask for an id token or refresh token, never for a resource. */
export const OIDC_SCOPES = ['openid', 'profile', 'email', 'offline_access'] as const;

export interface RequestedScopes {
  /** The one resource the access token is for. */
  resource: Resource;
  /** Scope names on that resource, without its prefix (`.default`, `access_as_user`, `User.Read`). */
  names: string[];
  oidc: string[];
}

/**
 * Parses a v2 `scope` parameter the way Entra does: `{resource}/{name}` or a bare Graph name,
 * plus OIDC scopes, with at most one resource per request (AADSTS28000 otherwise).
 */
export function parseScopes(scope: string | undefined, directory: Directory): RequestedScopes {
  const parts = (scope ?? '').split(/\s+/).filter((s) => s.length > 0);
  if (parts.length === 0) {
    throw missingParameter('scope');
  }
  const oidc = parts.filter((p) => (OIDC_SCOPES as readonly string[]).includes(p));
  let resource: Resource | undefined;
  const names: string[] = [];
  for (const part of parts.filter((p) => !oidc.includes(p))) {
    const slash = part.lastIndexOf('/');
    const resourceName =
      slash > 0 && slash < part.length - 1 ? part.slice(0, slash) : 'https://graph.microsoft.com';
    const name = slash > 0 && slash < part.length - 1 ? part.slice(slash + 1) : part;
    const found = directory.findResource(resourceName);
    if (!found) {
      throw new OAuthError(
        'invalid_resource',
        500011,
        `The resource principal named ${resourceName} was not found in the tenant named ${directory.displayName}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
      );
    }
    if (resource && !sameResource(resource, found)) {
      throw new OAuthError(
        'invalid_scope',
        28000,
        `Provided value for the input parameter scope is not valid because it contains more than one resource. Scope ${scope} is not valid.`,
      );
    }
    resource ??= found;
    names.push(name);
  }
  // Only OIDC scopes: Entra issues a Graph token for the user's basic profile.
  return {
    resource: resource ?? directory.findResource('https://graph.microsoft.com')!,
    names,
    oidc,
  };
}

export function sameResource(a: Resource, b: Resource): boolean {
  if (a.kind === 'graph' || b.kind === 'graph') return a.kind === b.kind;
  return a.app.clientId === b.app.clientId;
}

/** Application permissions for client credentials: `{resource}/.default` only, as Entra insists. */
export function applicationGrant(
  client: SeedApplication,
  requested: RequestedScopes,
  directory: Directory,
): { roles: string[] } {
  if (
    requested.names.length !== 1 ||
    requested.names[0] !== '.default' ||
    requested.oidc.length > 0
  ) {
    throw new OAuthError(
      'invalid_scope',
      1002012,
      'The provided value for scope is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).',
    );
  }
  return { roles: consentedPermissions(client, requested.resource, directory).roles };
}

/**
 * A delegated grant: the scopes the user (by admin consent or pre-authorisation) allowed this
 * client on the resource, and the app roles assigned to the user on it. `.default` means all
 * consented scopes; a named scope that is not consented is Entra's AADSTS65001.
 */
export function delegatedGrant(
  client: SeedApplication,
  user: DirectoryUser,
  requested: RequestedScopes,
  directory: Directory,
): { scopes: string[]; roles: string[] } {
  const consented = consentedPermissions(client, requested.resource, directory).scopes;
  const resource = requested.resource;
  if (resource.kind === 'api') {
    const defined = new Set(resource.app.api?.scopes.map((s) => s.value));
    for (const name of requested.names) {
      if (name !== '.default' && !defined.has(name)) {
        throw new OAuthError(
          'invalid_scope',
          70011,
          `The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope ${resource.app.api?.identifierUris[0]}/${name} does not exist.`,
        );
      }
    }
  }
  const wanted = requested.names.includes('.default') ? consented : requested.names;
  const missing = wanted.filter((n) => !consented.includes(n));
  if (missing.length > 0 || (requested.names.length > 0 && wanted.length === 0)) {
    throw new OAuthError(
      'invalid_grant',
      65001,
      `The user or administrator has not consented to use the application with ID '${client.clientId}' named '${client.displayName}'. Send an interactive authorization request for this user and resource.`,
    );
  }
  const roles = resource.kind === 'api' ? directory.appRolesOf(user.id, resource.app) : [];
  // Graph tokens also list the OIDC scopes that were asked for (Entra does the same).
  const oidc =
    resource.kind === 'graph' ? requested.oidc.filter((s) => s !== 'offline_access') : [];
  return { scopes: [...new Set([...wanted, ...oidc])], roles };
}

/** What the seed says this client may do on the resource (admin-consented), plus pre-authorisation. */
function consentedPermissions(
  client: SeedApplication,
  resource: Resource,
  directory: Directory,
): { roles: string[]; scopes: string[] } {
  const roles = new Set<string>();
  const scopes = new Set<string>();
  for (const access of client.requiredResourceAccess) {
    const target = directory.findResource(access.resource);
    if (!target || !sameResource(target, resource)) continue;
    access.roles.forEach((r) => roles.add(r));
    access.scopes.forEach((s) => scopes.add(s));
  }
  if (
    resource.kind === 'api' &&
    resource.app.api?.preAuthorizedClientIds.some(
      (id) => id.toLowerCase() === client.clientId.toLowerCase(),
    )
  ) {
    resource.app.api.scopes.forEach((s) => scopes.add(s.value));
  }
  return { roles: [...roles].sort(), scopes: [...scopes].sort() };
}
