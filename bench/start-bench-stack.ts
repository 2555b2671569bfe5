import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TenantSeed } from '../local/tenant/seed/tenant-seed.ts';
import { startLocalStack, type LocalStack } from '../local/stack/start-local-stack.ts';

/**
 * The local stack a bench measures: ephemeral ports, nothing kept, the demo organisation plus
 * the bench's own employees. `close` stops it and removes its state folder.
 */
export async function startBenchStack(
  name: string,
  seed: TenantSeed,
  employees: TenantSeed['users'],
): Promise<{ stack: LocalStack; close: () => Promise<void> }> {
  const stateDirectory = await mkdtemp(join(tmpdir(), `courier-bench-${name}-`));
  const stack = await startLocalStack({
    stateDirectory,
    persistent: false,
    port: 0,
    tenantPort: 0,
    tenantOptions: { seed: { ...seed, users: [...seed.users, ...employees] } },
  });
  return {
    stack,
    close: async () => {
      await stack.close();
      await rm(stateDirectory, { recursive: true, force: true });
    },
  };
}
