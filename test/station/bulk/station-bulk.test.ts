import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readResultsCsv } from '../../../station/bulk/bulk-rows.ts';
import { startTestStack, type TestStack } from '../../functions/support/courier-stack.ts';
import { cacheSignIn, stationEnvironment } from '../support/station-harness.ts';
import { runStation } from '../support/run-station.ts';

let stack: TestStack;
let home: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  stack = await startTestStack();
  const prepared = await stationEnvironment(stack, 'station-bulk-');
  home = prepared.home;
  env = { ...process.env, ...prepared.env };
}, 60_000);
afterAll(async () => {
  await stack?.stop();
  if (home) await rm(home, { recursive: true, force: true });
});

function signedInAs(who: string) {
  return cacheSignIn(stack, home, who);
}

function station(...args: string[]) {
  return runStation(args, env);
}

describe('station bulk --csv, through the service', () => {
  it('checks, sends, reports per row without formula injection, and resumes', async () => {
    const csv = join(home, 'new-hires.csv');
    await writeFile(
      csv,
      'user,shippingAddress\nlina.haddad@fabrikam.example,"Storgatan 1, Malmö"\n=cmd|/c calc@fabrikam.example,\nfelix.wagner@fabrikam.example,\n',
    );
    const results = join(home, 'new-hires.results.csv');
    await signedInAs('admin');

    const dry = await station('bulk', '--csv', csv, '--batch-id', 'intake-1', '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('3 row(s)');
    expect(readResultsCsv(await readFile(results, 'utf8')).map((r) => r.status)).toEqual([
      'would-start',
      'would-start',
      'would-start',
    ]);

    const sent = await station('bulk', '--csv', csv, '--batch-id', 'intake-1');
    expect(sent.code).toBe(1); // one row failed
    expect(sent.stdout).toMatch(/2 started, 1 failed/);
    const text = await readFile(results, 'utf8');
    expect(text).toContain(`"'=cmd|/c calc@fabrikam.example"`);
    const rows = readResultsCsv(text);
    expect(rows.map((r) => r.status)).toEqual(['started', 'error', 'started']);
    expect(rows[0]!.requestId).toMatch(/^bulk-/);
    const queue = (await stack.as('operator').get('station/queue')).json<{
      jobs: { requestId: string }[];
    }>();
    expect(queue.jobs.map((j) => j.requestId)).toEqual(
      expect.arrayContaining([rows[0]!.requestId, rows[2]!.requestId]),
    );

    const resumed = await station('--json', 'bulk', '--csv', csv, '--batch-id', 'intake-1');
    const plan = resumed.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { event: string; skipped?: number; toSend?: number });
    expect(plan.find((e) => e.event === 'bulk-plan')).toMatchObject({ skipped: 2, toSend: 1 });
  }, 90_000);

  it('says what to do without the admin role', async () => {
    await signedInAs('operator');
    const csv = join(home, 'one.csv');
    await writeFile(csv, 'user\nmaja.lind@fabrikam.example\n');
    const refused = await station('bulk', '--csv', csv, '--results', join(home, 'one.out.csv'));
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/Courier\.Admin|role/);
  }, 60_000);

  it('enrols every member of an Entra group, read by the service', async () => {
    await signedInAs('admin');
    const results = join(home, 'operators.results.csv');
    // Mailroom Operators: omar.haddad and felix.wagner.
    const sent = await station(
      'bulk',
      '--group',
      '283256ab-a214-4f44-920e-07ffa0cd9713',
      '--batch-id',
      'group-1',
      '--results',
      results,
    );
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout).toContain('2 row(s) in group 283256ab-a214-4f44-920e-07ffa0cd9713');
    const rows = readResultsCsv(await readFile(results, 'utf8'));
    expect(rows.map((r) => r.upn).sort()).toEqual([
      'felix.wagner@fabrikam.example',
      'omar.haddad@fabrikam.example',
    ]);
    expect(rows.every((r) => r.status === 'started')).toBe(true);
    const both = await station('bulk', '--group', 'mailroom', '--csv', 'x.csv');
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('exactly one of --csv FILE or --group NAME|ID');
  }, 90_000);

  it('finds a group by its display name, and says so when no group has that name', async () => {
    await signedInAs('admin');
    const results = join(home, 'by-name.results.csv');
    const sent = await station(
      'bulk',
      '--group',
      'Passkey Courier Fallback Approvers',
      '--dry-run',
      '--results',
      results,
    );
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout).toContain('2 row(s) in group Passkey Courier Fallback Approvers');
    const unknown = await station('bulk', '--group', 'No Such Team', '--dry-run');
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('No Entra group is named "No Such Team"');
  }, 90_000);
});
