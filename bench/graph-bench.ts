import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTenantSeed } from '../local/tenant/seed/load-tenant-seed.ts';
import { startLocalTenant } from '../local/tenant/start-local-tenant.ts';
import {
  makeCredentialFromOptions,
  softwareKey,
  type GraphCreationOptions,
  type SoftwareKey,
} from '../test/local/support/software-key-registration.ts';
import { tenantGateway } from '../test/support/tenant-gateway.ts';

const WORKERS = 16;

export interface GraphBenchOptions {
  users: number;
  rate: number;
}

/**
 * The gateway registers `users` generated users, each with a fresh software-key credential, against
 * the local tenant throttled to `rate` Graph requests per second (a token bucket of one second's
 * worth). Prints the achieved request rate over the limit, failures, and early retries (requests
 * resent before their Retry-After, as the tenant counts them). Target: ≥ 0.9, 0 and 0.
 */
export async function runGraphBench({ users, rate }: GraphBenchOptions): Promise<void> {
  const seed = await loadTenantSeed();
  const generated = Array.from({ length: users }, (_, i) => {
    const n = String(i + 1).padStart(5, '0');
    return {
      ...seed.users[0]!,
      id: `00000000-0000-4000-8000-${n.padStart(12, '0')}`,
      userPrincipalName: `bench.user.${n}@fabrikam.example`,
      displayName: `Bench User ${n}`,
      mail: `bench.user.${n}@fabrikam.example`,
      employeeId: `9${n}`,
      manager: seed.users[0]!.userPrincipalName,
    };
  });
  const tlsDirectory = mkdtempSync(join(tmpdir(), 'courier-bench-tls-'));
  const tenant = await startLocalTenant({
    port: 0,
    tlsDirectory,
    seed: {
      ...seed,
      users: [...seed.users, ...generated],
      fido2Policy: {
        ...seed.fido2Policy,
        includeTargets: [{ targetType: 'group', id: 'all_users', isRegistrationRequired: false }],
        excludeTargets: [],
      },
    },
    throttle: { capacity: rate, refillPerSecond: rate },
  });
  let retries = 0;
  const gateway = tenantGateway(tenant, {
    retry: { deadlineMs: 600_000, maxAttempts: 50 },
    observer: { onRetry: () => retries++ },
  });
  const keys: SoftwareKey[] = [];
  let failures = 0;
  const failureSamples: string[] = [];
  try {
    for (let i = 0; i < WORKERS; i++) keys.push(await softwareKey());
    // Warm the token cache so the run measures Graph calls, not the first sign-in.
    await gateway.getUser(generated[0]!.id);
    const before = tenant.controls.counters();
    let next = 0;
    const started = performance.now();
    await Promise.all(
      keys.map(async (key) => {
        for (let index = next++; index < users; index = next++) {
          const user = generated[index]!;
          try {
            const options = await gateway.getCreationOptions(user.id);
            const made = await makeCredentialFromOptions(key, options.raw as GraphCreationOptions);
            await gateway.registerFido2Method(user.id, {
              displayName: `Bench key ${index + 1}`,
              credentialId: made.credentialId,
              clientDataJSON: new TextEncoder().encode(made.clientDataJSON),
              attestationObject: made.attestationObject,
            });
          } catch (error) {
            failures++;
            if (failureSamples.length < 3)
              failureSamples.push(`${user.userPrincipalName}: ${(error as Error).message}`);
          }
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const after = tenant.controls.counters();
    const accepted = Object.entries(after.byStatus)
      .filter(([status]) => status !== '429')
      .reduce((n, [status, count]) => n + count - (before.byStatus[status] ?? 0), 0);
    const achieved = accepted / seconds;
    console.log(
      `graph: ${users} users registered through the gateway, tenant throttled at ${rate} requests/s`,
    );
    console.log(
      `  elapsed                  ${seconds.toFixed(1)} s, ${accepted} Graph requests answered, ${after.throttled - before.throttled} throttled (429), ${retries} retries`,
    );
    console.log(
      `  achieved / R             ${(achieved / rate).toFixed(3)}   (${achieved.toFixed(2)} of ${rate} requests/s; target ≥ 0.9)`,
    );
    console.log(
      `  failures                 ${failures}   (target 0)${failureSamples.map((s) => `\n    ${s}`).join('')}`,
    );
    console.log(
      `  early retries            ${after.earlyRetries - before.earlyRetries}   (target 0)`,
    );
  } finally {
    for (const key of keys) await key.close();
    await tenant.close();
    rmSync(tlsDirectory, { recursive: true, force: true });
  }
}
