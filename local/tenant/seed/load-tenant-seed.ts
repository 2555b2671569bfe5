import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import { LocalTenantError } from '../local-tenant-error.ts';
import { checkSeedReferences, tenantSeedSchema, type TenantSeed } from './tenant-seed.ts';

/** The demo organisation shipped with the project. */
export const DEMO_ORGANISATION_SEED = fileURLToPath(
  new URL('./demo-organisation.json', import.meta.url),
);

/** Reads and validates a seed file; see `parseTenantSeed`. */
export async function loadTenantSeed(path: string = DEMO_ORGANISATION_SEED): Promise<TenantSeed> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new LocalTenantError(
      'SEED_INVALID',
      `Cannot read the tenant seed ${path}: ${(cause as Error).message}`,
      {
        cause,
        problems: [`cannot read ${path}`],
      },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new LocalTenantError(
      'SEED_INVALID',
      `The tenant seed ${path} is not JSON: ${(cause as Error).message}`,
      { cause, problems: ['not JSON'] },
    );
  }
  return parseTenantSeed(json, path);
}

/**
 * Validates a seed object: the schema first, then cross-references. Every problem gets one line
 * that says where it is and what is wrong, all at once, so a broken seed is fixed in one pass.
 */
export function parseTenantSeed(json: unknown, source = 'seed'): TenantSeed {
  const parsed = tenantSeedSchema.safeParse(json);
  const problems = parsed.success
    ? checkSeedReferences(parsed.data)
    : parsed.error.issues.map(describeIssue);
  if (problems.length > 0 || !parsed.success) {
    throw new LocalTenantError(
      'SEED_INVALID',
      `The tenant seed ${source} has ${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      { problems },
    );
  }
  return parsed.data;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path
    .map((part, i) =>
      typeof part === 'number' ? `[${part}]` : i === 0 ? String(part) : `.${String(part)}`,
    )
    .join('');
  return `${path || '(root)'}: ${issue.message}`;
}
