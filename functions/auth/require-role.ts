import { AuthError } from './auth-error.ts';
import type { Principal } from './principal.ts';

/** Throws FORBIDDEN unless the caller holds the app role (e.g. Station.Operator, Courier.Admin). */
export function requireRole(principal: Principal, role: string): void {
  if (principal.roles.includes(role)) return;
  throw new AuthError(
    'FORBIDDEN',
    `This call needs the app role ${role}; ask an administrator to assign it to ${
      principal.userPrincipalName ?? principal.userId
    } on the Passkey Courier application.`,
  );
}
