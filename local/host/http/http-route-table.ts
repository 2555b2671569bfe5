import type { RegisteredFunction } from '../registered-function.ts';
import { assertRouteNotReserved } from './reserved-route.ts';
import { RouteTemplate } from './route-template.ts';

export interface HttpRoute {
  fn: RegisteredFunction;
  template: RouteTemplate;
  /** Upper-case; empty means any method. */
  methods: string[];
  authLevel: string;
  /** The route as a client writes it, prefix included: "/api/orders/{id}". */
  path: string;
}

export interface RouteMatch {
  route: HttpRoute;
  params: Record<string, string>;
}

/**
 * The app's HTTP triggers in routing order. Like the Functions host (ASP.NET Core routing), more
 * specific templates win — a literal segment beats a constrained parameter, which beats a plain
 * one, which beats a catch-all — whatever order the functions were registered in. A method the
 * route does not accept is a 404, as in the Functions host, where methods are route constraints.
 * A route in the host's reserved space (admin…, runtime…) is refused, as Azure refuses it.
 */
export class HttpRouteTable {
  readonly routes: readonly HttpRoute[];
  readonly #prefix: string[];

  constructor(functions: readonly RegisteredFunction[], routePrefix: string) {
    this.#prefix = routePrefix === '' ? [] : routePrefix.split('/').map((s) => s.toLowerCase());
    const routes = functions.flatMap((fn): HttpRoute[] => {
      if (fn.kind !== 'http' || !fn.http) return [];
      assertRouteNotReserved(fn.name, fn.http.route);
      const template = new RouteTemplate(fn.http.route ?? fn.name);
      const shown = [routePrefix, template.template.replace(/^~?\/+/, '')].filter(Boolean);
      return [
        {
          fn,
          template,
          methods: fn.http.methods,
          authLevel: fn.http.authLevel,
          path: `/${shown.join('/')}`,
        },
      ];
    });
    this.routes = routes.sort((a, b) => comparePrecedence(a.template, b.template));
  }

  /** `pathname` as it arrives (percent-encoded, without the query). */
  match(method: string, pathname: string): RouteMatch | undefined {
    const segments = pathname.split('/').filter((s) => s !== '');
    const prefix = this.#prefix;
    if (segments.length < prefix.length) return undefined;
    for (let i = 0; i < prefix.length; i++) {
      if (segments[i]!.toLowerCase() !== prefix[i]) return undefined;
    }
    const rest = segments.slice(prefix.length);
    const upper = method.toUpperCase();
    for (const route of this.routes) {
      if (route.methods.length && !route.methods.includes(upper)) continue;
      const params = route.template.match(rest);
      if (params) return { route, params };
    }
    return undefined;
  }
}

function comparePrecedence(a: RouteTemplate, b: RouteTemplate): number {
  const length = Math.max(a.precedence.length, b.precedence.length);
  for (let i = 0; i < length; i++) {
    const difference = (a.precedence[i] ?? 0) - (b.precedence[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return a.template.localeCompare(b.template);
}
