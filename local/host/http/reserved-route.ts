import { LocalHostError } from '../local-host-error.ts';

/**
 * The Functions host keeps `admin…` (its management API: keys, host status) and `runtime…`
 * (extension webhooks) for itself. It compares the route as registered — without the route
 * prefix, trimmed of slashes, lower-cased, a plain string prefix, so `administration/x` is
 * refused too — and defaults an empty route to the function's name before comparing.
 */
const RESERVED_PREFIXES = ['admin', 'runtime'];

/** The Functions host's own message for such a route (ScriptHost.ValidateHttpFunction). */
export const RESERVED_ROUTE_MESSAGE =
  'The specified route conflicts with one or more built in routes.';

/** The reserved prefix a route starts with, or undefined when the Functions host allows it. */
export function reservedPrefixOf(
  functionName: string,
  route: string | undefined,
): string | undefined {
  const effective = (route === undefined || route.trim() === '' ? functionName : route)
    .replace(/^[~/]+|\/+$/g, '')
    .toLowerCase();
  return RESERVED_PREFIXES.find((prefix) => effective.startsWith(prefix));
}

/** Refuses an HTTP function the Functions host would refuse to index, with the host's words. */
export function assertRouteNotReserved(functionName: string, route: string | undefined): void {
  const prefix = reservedPrefixOf(functionName, route);
  if (prefix === undefined) return;
  throw new LocalHostError(
    'ROUTE_INVALID',
    `Function '${functionName}' (route "${route ?? functionName}"): ${RESERVED_ROUTE_MESSAGE} Routes starting with "${prefix}" belong to the Functions host in Azure, whatever the route prefix; choose another first segment.`,
  );
}
