import { z } from 'zod';

/** Who called, from a validated Entra access token. */
export interface Principal {
  /** `user` for delegated tokens (they carry `scp`), `app` for application tokens. */
  kind: 'user' | 'app';
  /** The Entra object id (`oid`): the user, or the calling app's service principal. */
  userId: string;
  /** `tid` */
  tenantId: string;
  /** `name`, for users. */
  name: string | undefined;
  /** `preferred_username`, or `upn`, for users. */
  userPrincipalName: string | undefined;
  /** App roles granted to the caller on this API (`roles`). */
  roles: string[];
  /** Delegated scopes (`scp`, space-separated in the token). Empty for apps. */
  scopes: string[];
  /** The client application (`azp`, or v1's `appid`). */
  appId: string;
}

const claimsSchema = z.object({
  oid: z.string().min(1),
  tid: z.string().min(1),
  name: z.string().optional(),
  preferred_username: z.string().optional(),
  upn: z.string().optional(),
  roles: z.array(z.string()).optional(),
  scp: z.string().optional(),
  azp: z.string().optional(),
  appid: z.string().optional(),
});

/**
 * Reads a Principal from a token's verified claims, or undefined when claims it needs are missing
 * or malformed. Entra marks app-only tokens by the absence of `scp` (`idtyp` is an optional claim).
 */
export function principalFromClaims(claims: Record<string, unknown>): Principal | undefined {
  const parsed = claimsSchema.safeParse(claims);
  if (!parsed.success) return undefined;
  const c = parsed.data;
  const appId = c.azp ?? c.appid;
  if (appId === undefined) return undefined;
  const kind = c.scp === undefined ? 'app' : 'user';
  return {
    kind,
    userId: c.oid,
    tenantId: c.tid,
    name: kind === 'user' ? c.name : undefined,
    userPrincipalName: kind === 'user' ? (c.preferred_username ?? c.upn) : undefined,
    roles: c.roles ?? [],
    scopes: (c.scp ?? '').split(' ').filter((s) => s.length > 0),
    appId,
  };
}
