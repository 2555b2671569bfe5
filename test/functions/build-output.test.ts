import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reservedPrefixOf } from '../../local/host/http/reserved-route.ts';
import { parseTimerSchedule } from '../../local/host/timer/timer-schedule.ts';

const run = promisify(execFile);
const REPOSITORY = fileURLToPath(new URL('../../', import.meta.url));

/**
 * A stand-in for the host module, `@azure/functions-core`, which the Functions host gives the
 * worker and `@azure/functions` registers through. Plain CommonJS, preloaded with --require, so
 * the compiled app runs under plain Node exactly as deployed and every registration's metadata
 * (bindings, routes, methods, schedules) is what the host would index.
 */
const HOST_STAND_IN = `
const Module = require('node:module');
const registrations = [];
const api = {
  version: '3.10.0-stand-in',
  hostVersion: '4.1000.0-stand-in',
  Disposable: class { static from() { return new this(); } dispose() {} },
  registerFunction(metadata) {
    registrations.push(metadata);
    return { dispose() {} };
  },
  registerHook() { return { dispose() {} }; },
  setProgrammingModel() {},
  getProgrammingModel() { return undefined; },
  log() {},
};
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return request === '@azure/functions-core' ? '@azure/functions-core' : resolve.call(this, request, ...rest);
};
const stand = new Module('@azure/functions-core');
stand.exports = api;
stand.loaded = true;
Module._cache['@azure/functions-core'] = stand;
process.on('exit', () => process.stdout.write(JSON.stringify(registrations)));
`;

interface Binding {
  type?: string;
  direction?: string;
  route?: string;
  methods?: string[];
  schedule?: string;
}
interface Registration {
  name: string;
  bindings: Record<string, Binding>;
}

const ALL_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'TRACE'];
/** The Functions host's rule for function names (Utility.IsValidFunctionName). */
const FUNCTION_NAME = /^[a-z][a-z0-9_-]{0,127}$/i;

let outDir: string | undefined;
let registrations: Registration[] = [];

beforeAll(async () => {
  // Inside the repository, so the compiled modules resolve node_modules as deployed ones do.
  await mkdir(join(REPOSITORY, '.courier'), { recursive: true });
  outDir = await mkdtemp(join(REPOSITORY, '.courier', 'build-'));
  await run(
    process.execPath,
    [
      join(REPOSITORY, 'node_modules/typescript/bin/tsc'),
      '-p',
      'tsconfig.build.json',
      '--outDir',
      outDir,
    ],
    { cwd: REPOSITORY },
  );
  const standIn = join(outDir, 'host-stand-in.cjs');
  await writeFile(standIn, HOST_STAND_IN);
  // No tsx: the entry point named by package.json "main" must run as it is.
  const { stdout } = await run(
    process.execPath,
    [
      '--require',
      standIn,
      '--input-type=module',
      '-e',
      `await import(${JSON.stringify(join(outDir, 'functions/index.js'))});`,
    ],
    { cwd: REPOSITORY },
  );
  registrations = JSON.parse(stdout) as Registration[];
}, 120_000);

afterAll(async () => {
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

function trigger(registration: Registration): Binding {
  const found = Object.values(registration.bindings).find(
    (b) => b.direction === 'in' && (b.type ?? '').toLowerCase().endsWith('trigger'),
  );
  if (!found) throw new Error(`${registration.name} has no trigger`);
  return found;
}

function httpTriggers() {
  return registrations.flatMap((r) => {
    const binding = trigger(r);
    return binding.type === 'httpTrigger' ? [{ name: r.name, binding }] : [];
  });
}

describe('the deployable functions app, as the Functions host indexes it', () => {
  it('registers every function through the host module', () => {
    const names = registrations.map((r) => r.name);
    for (const name of [
      'station-result',
      'requests-pin',
      'admin-bulk-requests',
      'courier-request-v2',
    ]) {
      expect(names).toContain(name);
    }
    expect(new Set(names.map((n) => n.toLowerCase())).size).toBe(names.length);
  });

  it('gives every function a name the host accepts', () => {
    for (const { name } of registrations) expect(name, name).toMatch(FUNCTION_NAME);
  });

  it('registers no route in the host reserved space (admin…, runtime…)', () => {
    const http = httpTriggers();
    expect(http.length).toBeGreaterThan(20);
    for (const { name, binding } of http) {
      expect(reservedPrefixOf(name, binding.route), `${name}: ${binding.route}`).toBeUndefined();
    }
    // The IT admins' API lives where the host allows it.
    expect(http.find((h) => h.name === 'admin-audit')?.binding.route).toBe('manage/audit');
  });

  it('has one function per route and method', () => {
    const seen = new Map<string, string>();
    for (const { name, binding } of httpTriggers()) {
      // Parameter names do not tell routes apart; case does not either.
      const route = (binding.route ?? name).toLowerCase().replace(/\{[^}]*\}/g, '{}');
      const methods = binding.methods?.length ? binding.methods : ALL_METHODS;
      for (const method of methods) {
        const key = `${method.toUpperCase()} ${route}`;
        expect(seen.get(key), `${key} is served by ${seen.get(key)} and ${name}`).toBeUndefined();
        seen.set(key, name);
      }
    }
  });

  it('gives every timer trigger a six-field schedule that parses', () => {
    const timers = registrations.filter((r) => trigger(r).type === 'timerTrigger');
    expect(timers.length).toBeGreaterThan(0);
    for (const timer of timers) {
      const schedule = trigger(timer).schedule ?? '';
      expect(schedule.trim().split(/\s+/), `${timer.name}: ${schedule}`).toHaveLength(6);
      const after = Date.parse('2026-01-01T00:00:00Z');
      expect(parseTimerSchedule(schedule).next(after)).toBeGreaterThan(after);
    }
  });
});
