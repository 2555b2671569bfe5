import type { TenantSeed } from '../local/tenant/seed/tenant-seed.ts';

type Seed = TenantSeed;
type SeedUser = TenantSeed['users'][number];

/**
 * `count` generated employees for a bench, each a copy of Maja Lind (the demo employee) with its
 * own id, UPN, name and employee id, so many requests can run side by side without the
 * one-open-request rule getting in the way. `group` keeps two benches' people apart.
 */
export function benchEmployees(
  seed: Seed,
  count: number,
  group: { idBlock: string; upnPrefix: string; displayName: string; employeeIdDigit: string },
  extra: (index: number) => Partial<SeedUser> = () => ({}),
): SeedUser[] {
  const template = seed.users.find((u) => u.userPrincipalName === 'maja.lind@fabrikam.example')!;
  return Array.from({ length: count }, (_, i) => {
    const n = String(i + 1).padStart(5, '0');
    return {
      ...template,
      id: `00000000-0000-4000-${group.idBlock}-${n.padStart(12, '0')}`,
      userPrincipalName: `${group.upnPrefix}.${n}@fabrikam.example`,
      displayName: `${group.displayName} ${n}`,
      mail: `${group.upnPrefix}.${n}@fabrikam.example`,
      employeeId: `${group.employeeIdDigit}${n}`,
      fido2Methods: [],
      ...extra(i),
    };
  });
}
