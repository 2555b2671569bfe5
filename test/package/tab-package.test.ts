import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { packageTab } from '../../deploy/package-tab.ts';

const REPOSITORY = fileURLToPath(new URL('../../', import.meta.url));
let work: string | undefined;
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('npm run package:tab', () => {
  it("builds the tab as a static site that calls the deployment's API and signs in only through Teams", async () => {
    work = await mkdtemp(join(tmpdir(), 'courier-tab-'));
    const directory = await packageTab({
      repository: REPOSITORY,
      apiBase: 'https://func-courier-abc123.azurewebsites.net/',
      outDirectory: join(work, 'tab'),
    });
    expect((await readdir(directory)).sort()).toEqual(['config.json', 'index.html', 'tab.js']);
    expect(JSON.parse(await readFile(join(directory, 'config.json'), 'utf8'))).toEqual({
      apiBase: 'https://func-courier-abc123.azurewebsites.net',
      localPersonas: false,
    });
    const html = await readFile(join(directory, 'index.html'), 'utf8');
    expect(html).toContain('src="tab.js"');
    const script = await readFile(join(directory, 'tab.js'), 'utf8');
    // teams-js is in the bundle: SSO needs nothing from elsewhere.
    expect(script).toContain('getAuthToken');
    await expect(
      packageTab({
        repository: REPOSITORY,
        apiBase: 'http://insecure.example/',
        outDirectory: join(work, 'x'),
      }),
    ).rejects.toMatchObject({ code: 'REPOSITORY_INVALID' });
  }, 60_000);
});
