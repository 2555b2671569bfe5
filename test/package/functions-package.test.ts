import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageFunctionsApp, type FunctionsPackage } from '../../deploy/package-functions-app.ts';
import { parseTimerSchedule } from '../../local/host/timer/timer-schedule.ts';

const run = promisify(execFile);
const REPOSITORY = fileURLToPath(new URL('../../', import.meta.url));
const STAND_IN = fileURLToPath(new URL('./functions-core-stand-in.js', import.meta.url));

interface Registrations {
  programmingModel: { name: string; version: string } | undefined;
  registrations: { name: string; bindings: string[] }[];
}

/** Runs node with the host module's stand-in preloaded and returns what the app registered. */
async function registrationsOf(args: string[], cwd: string): Promise<Registrations> {
  const { stdout } = await run(process.execPath, ['--import', STAND_IN, ...args], {
    cwd,
    // Outside the repository nothing resolves from node_modules: the bundle must be whole.
    env: { PATH: process.env.PATH ?? '' },
  });
  const line = stdout.split('\n').find((l) => l.startsWith('FUNCTIONS_CORE_STAND_IN '));
  if (!line) throw new Error(`The stand-in printed nothing:\n${stdout}`);
  return JSON.parse(line.slice('FUNCTIONS_CORE_STAND_IN '.length)) as Registrations;
}

let work: string;
let pkg: FunctionsPackage;
beforeAll(async () => {
  // Outside the repository, so that nothing in the app can quietly resolve the repo's node_modules.
  work = await mkdtemp(join(tmpdir(), 'courier-package-'));
  pkg = await packageFunctionsApp({
    repository: REPOSITORY,
    outDirectory: join(work, 'functions-app'),
  });
  console.log(
    `functions package: ${(pkg.bytes / 1024 / 1024).toFixed(2)} MB in ${pkg.files.length} files (${pkg.files.join(', ')})`,
  );
}, 120_000);
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('npm run package:functions', () => {
  it('makes a Functions app root: host.json and package.json side by side, main beside them, no node_modules', async () => {
    expect(pkg.files).toContain('host.json');
    expect(pkg.files).toContain('package.json');
    expect(pkg.files.some((file) => file.startsWith('node_modules/'))).toBe(false);
    const manifest = JSON.parse(await readFile(join(pkg.directory, 'package.json'), 'utf8'));
    expect(manifest.type).toBe('module');
    expect(pkg.files).toContain(manifest.main);
    expect(manifest.dependencies).toEqual({});
    expect(await readFile(join(pkg.directory, 'host.json'), 'utf8')).toBe(
      await readFile(join(REPOSITORY, 'functions/host.json'), 'utf8'),
    );
    // Only the bundle, its source map, its licences and the two manifests.
    expect(pkg.files).toEqual(
      ['host.json', 'index.js', 'index.js.LEGAL.txt', 'index.js.map', 'package.json'].sort(),
    );
  });

  it('loads under plain Node with a stand-in for the host module, registering every function the sources register', async () => {
    const manifest = JSON.parse(await readFile(join(pkg.directory, 'package.json'), 'utf8'));
    const bundled = await registrationsOf([join(pkg.directory, manifest.main)], pkg.directory);
    const sources = await registrationsOf(
      ['--import', 'tsx', '--input-type=module', '-e', "await import('./functions/index.ts')"],
      REPOSITORY,
    );
    expect(bundled.programmingModel?.name).toBe('@azure/functions');
    expect(sources.registrations.length).toBeGreaterThan(20);
    expect(bundled.registrations).toEqual(sources.registrations);
    const names = bundled.registrations.map((r) => r.name);
    for (const name of ['station-result', 'requests-pin', 'admin-audit']) {
      expect(names).toContain(name);
    }
    // Durable registrations go through the same host module as the HTTP ones.
    const triggers = new Set(bundled.registrations.flatMap((r) => r.bindings));
    for (const trigger of ['in:orchestrationTrigger', 'in:activityTrigger']) {
      expect(triggers).toContain(trigger);
    }
  }, 60_000);

  it('runs its timers rarely enough for Flex Consumption to scale the idle app to zero', async () => {
    const manifest = JSON.parse(await readFile(join(pkg.directory, 'package.json'), 'utf8'));
    const { registrations } = await registrationsOf(
      [join(pkg.directory, manifest.main)],
      pkg.directory,
    );
    const timers = registrations.flatMap((r) =>
      r.bindings
        .filter((binding) => binding.startsWith('in:timerTrigger:'))
        .map((binding) => ({ name: r.name, schedule: binding.slice('in:timerTrigger:'.length) })),
    );
    expect(timers.map((t) => t.name)).toContain('courier-lost-station-sweep');
    expect(timers.map((t) => t.name)).toContain('courier-notification-sweep');
    // Notifications go out on write, through a queue trigger, not a frequent timer.
    const queueTriggered = registrations.filter((r) => r.bindings.includes('in:queueTrigger'));
    expect(queueTriggered.map((r) => r.name)).toEqual(['courier-notification-delivery']);
    const frequent = timers.filter(({ schedule }) => {
      const parsed = parseTimerSchedule(schedule);
      let at = Date.parse('2026-12-07T00:00:00Z');
      for (let tick = 0; tick < 200; tick++) {
        const next = parsed.next(at);
        if (next - at < 10 * 60_000) return true;
        at = next;
      }
      return false;
    });
    // None: every tick of a frequent timer starts an instance, so the idle app never reaches zero.
    expect(frequent).toEqual([]);
  }, 60_000);

  it('has an import graph that reaches none of the station, local mode, tests, native modules or keys', () => {
    const inputs = Object.keys(pkg.metafile.inputs);
    expect(inputs).toContain('functions/index.ts');
    expect(inputs.some((input) => input.startsWith('core/'))).toBe(true);
    const forbidden = inputs.filter(
      (input) =>
        /^(station|local|test|bench|\.courier)\//.test(input) ||
        /node_modules\/(node-hid|cbor-x|cbor-extract)\//.test(input) ||
        /\.(pem|key|pfx|p12)$/.test(input),
    );
    expect(forbidden).toEqual([]);
  });

  it('carries no private key material', async () => {
    for (const file of pkg.files) {
      const text = await readFile(join(pkg.directory, file), 'utf8');
      expect(text, file).not.toMatch(/-----BEGIN [A-Z ]*PRIVATE KEY-----\s*[A-Za-z0-9+/=\s]{64,}/);
    }
  });

  it('refuses an app whose imports reach the station, naming the chain', async () => {
    const failed = packageFunctionsApp({
      repository: REPOSITORY,
      outDirectory: join(work, 'refused-app'),
      entry: 'test/package/fixtures/app-reaching-the-station.ts',
    });
    await expect(failed).rejects.toMatchObject({ code: 'EXCLUDED_INPUT' });
    await expect(failed).rejects.toThrow(
      /the station program \(station\/\): test\/package\/fixtures\/app-reaching-the-station\.ts -> station\//,
    );
  }, 60_000);
});
