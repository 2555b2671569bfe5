import { AuthError } from './auth-error.ts';
import type { Principal } from './principal.ts';

/**
 * Throws FORBIDDEN unless a signed-in user's token carries the delegated scope (e.g.
 * access_as_user). Application tokens never have scopes, so they never pass.
 */
export function requireScope(principal: Principal, scope: string): void {
  if (principal.kind === 'user' && principal.scopes.includes(scope)) return;
  throw new AuthError(
    'FORBIDDEN',
    principal.kind === 'app'
      ? `This call acts for a signed-in user; an application token (client ${principal.appId}) cannot make it.`
      : `This call needs the delegated scope ${scope}; the client ${principal.appId} must request it.`,
  );
}
