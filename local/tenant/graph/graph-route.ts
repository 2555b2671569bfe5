import type { TenantRequest } from '../http/tenant-request.ts';

export type GraphVersion = 'v1.0' | 'beta';

/** The Graph operations the tenant serves, named for counters and fault targeting. */
export type GraphOperation =
  | 'getUser'
  | 'getManager'
  | 'checkMemberGroups'
  | 'findGroups'
  | 'getGroup'
  | 'listGroupMembers'
  | 'listFido2Methods'
  | 'getFido2Method'
  | 'deleteFido2Method'
  | 'registerFido2Method'
  | 'creationOptions'
  | 'getFido2Policy'
  | 'listInstalledApps'
  | 'installApp'
  | 'getInstalledApp'
  | 'uninstallApp'
  | 'getInstalledAppChat';

export interface GraphRoute {
  version: GraphVersion;
  operation: GraphOperation;
  /** The user or group as written in the URL (id, UPN or "me"). */
  subject: string;
  /** The method, installation id, or creationOptions segment, when the path has one. */
  item: string | undefined;
}

export type GraphRouteMatch =
  | { kind: 'route'; route: GraphRoute }
  | { kind: 'notFound'; segment: string }
  | { kind: 'methodNotAllowed' };

const eq = (a: string | undefined, b: string) =>
  a !== undefined && a.toLowerCase() === b.toLowerCase();

/**
 * Maps a request under /v1.0 or /beta to an operation. Graph's segment names are case-insensitive
 * (docs write both fido2Methods and fido2methods); ids are kept as written. An unknown segment is
 * Graph's 400 "Resource not found for the segment"; a known path with the wrong method is 405.
 */
export function matchGraphRoute(request: TenantRequest): GraphRouteMatch | undefined {
  const [versionSegment, collection, subject, ...rest] = request.segments;
  if (versionSegment !== 'v1.0' && versionSegment !== 'beta') return undefined;
  const version: GraphVersion = versionSegment;
  const method = request.method;
  const route = (operation: GraphOperation, allowed: string, item?: string): GraphRouteMatch =>
    method === allowed
      ? { kind: 'route', route: { version, operation, subject: subject ?? '', item } }
      : { kind: 'methodNotAllowed' };
  const notFound = (segment: string | undefined): GraphRouteMatch => ({
    kind: 'notFound',
    segment: segment ?? '',
  });

  if (eq(collection, 'policies')) {
    const expected = ['authenticationMethodsPolicy', 'authenticationMethodConfigurations', 'fido2'];
    const path = [subject, ...rest];
    const wrong = path.findIndex((p, i) => !eq(p, expected[i] ?? ''));
    if (wrong === -1 && path.length === expected.length) return route('getFido2Policy', 'GET');
    return notFound(path[wrong === -1 ? expected.length : wrong] ?? collection);
  }
  if (eq(collection, 'groups') && subject === undefined) return route('findGroups', 'GET');
  if (eq(collection, 'groups') && subject !== undefined) {
    if (rest.length === 0) return route('getGroup', 'GET');
    if (rest.length === 1 && eq(rest[0], 'members')) return route('listGroupMembers', 'GET');
    return notFound(rest[0]);
  }
  const isUsers = eq(collection, 'users') && subject !== undefined;
  const isMe = eq(collection, 'me');
  if (!isUsers && !isMe) return notFound(collection);
  // /me/… names the signed-in user, /users/{id}/… a given one; the rest of the path is the same.
  const [who, ...tail] = isMe
    ? ['me', ...[subject, ...rest].filter((s): s is string => s !== undefined)]
    : [subject!, ...rest];
  const userRoute = (operation: GraphOperation, allowed: string, item?: string): GraphRouteMatch =>
    method === allowed
      ? { kind: 'route', route: { version, operation, subject: who, item } }
      : { kind: 'methodNotAllowed' };
  if (tail.length === 0) return userRoute('getUser', 'GET');
  if (eq(tail[0], 'manager') && tail.length === 1) return userRoute('getManager', 'GET');
  if (eq(tail[0], 'checkMemberGroups') && tail.length === 1)
    return userRoute('checkMemberGroups', 'POST');
  if (eq(tail[0], 'authentication')) {
    if (!eq(tail[1], 'fido2Methods')) return notFound(tail[1]);
    if (tail.length === 2)
      return method === 'POST'
        ? userRoute('registerFido2Method', 'POST')
        : userRoute('listFido2Methods', 'GET');
    if (tail.length === 3) {
      const item = tail[2]!;
      if (item.toLowerCase().startsWith('creationoptions'))
        return userRoute('creationOptions', 'GET', item);
      return method === 'DELETE'
        ? userRoute('deleteFido2Method', 'DELETE', item)
        : userRoute('getFido2Method', 'GET', item);
    }
    return notFound(tail[3]);
  }
  if (eq(tail[0], 'teamwork')) {
    if (!eq(tail[1], 'installedApps')) return notFound(tail[1]);
    if (tail.length === 2)
      return method === 'POST'
        ? userRoute('installApp', 'POST')
        : userRoute('listInstalledApps', 'GET');
    if (tail.length === 3) {
      return method === 'DELETE'
        ? userRoute('uninstallApp', 'DELETE', tail[2])
        : userRoute('getInstalledApp', 'GET', tail[2]);
    }
    if (tail.length === 4 && eq(tail[3], 'chat'))
      return userRoute('getInstalledAppChat', 'GET', tail[2]);
    return notFound(tail[3]);
  }
  return notFound(tail[0]);
}
