import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const REPOSITORY = fileURLToPath(new URL('../../', import.meta.url));

let outDir: string | undefined;
afterAll(async () => {
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

describe('the deployable functions app', () => {
  it('compiles to JavaScript that plain Node loads, registering every function', async () => {
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
    // No tsx: the entry point named by package.json "main" must run as it is.
    const probe = `
      await import(${JSON.stringify(join(outDir, 'functions/index.js'))});
      console.log(JSON.stringify(process.exitCode ?? 0));
    `;
    const { stdout, stderr } = await run(process.execPath, ['--input-type=module', '-e', probe], {
      cwd: REPOSITORY,
    });
    expect(stdout.trim()).toBe('0');
    // Outside a Functions host the library only warns that it is in test mode, naming each one.
    for (const name of [
      'station-result',
      'requests-pin',
      'admin-bulk-requests',
      'courier-request-v2',
    ]) {
      expect(stderr).toContain(`"${name}"`);
    }
  }, 120_000);
});
