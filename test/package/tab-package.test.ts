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
    expect((await readdir(directory)).sort()).toEqual([
      'config.json',
      'index.html',
      'privacy.html',
      'site.css',
      'staticwebapp.config.json',
      'tab.js',
      'terms.html',
    ]);
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

  it("serves the privacy and terms pages at the paths the Teams manifest links, on the tab's domain", async () => {
    work ??= await mkdtemp(join(tmpdir(), 'courier-tab-'));
    const directory = await packageTab({
      repository: REPOSITORY,
      apiBase: 'https://func-courier-abc123.azurewebsites.net/',
      outDirectory: join(work, 'site'),
    });
    const manifest = JSON.parse(
      await readFile(join(REPOSITORY, 'teams-app/manifest.json'), 'utf8'),
    );
    const linked = [manifest.developer.privacyUrl, manifest.developer.termsOfUseUrl].map(
      (url: string) => {
        // The manifest's links are on the tab's domain, the Static Web App's.
        expect(url).toMatch(/^https:\/\/\$\{\{COURIER_TAB_DOMAIN\}\}\//);
        return new URL(url.replace('${{COURIER_TAB_DOMAIN}}', 'tab.example')).pathname;
      },
    );
    expect(linked).toEqual(['/privacy', '/terms']);
    // Static Web Apps serves each path through the configuration's rewrite to a page in the site.
    const config = JSON.parse(await readFile(join(directory, 'staticwebapp.config.json'), 'utf8'));
    for (const path of linked) {
      const route = config.routes.find((r: { route: string }) => r.route === path);
      expect(route, path).toBeDefined();
      const html = await readFile(join(directory, route.rewrite.replace(/^\//, '')), 'utf8');
      expect(html).toMatch(/^<!doctype html>/);
      expect(html).toMatch(/<title>Passkey Courier: (privacy|terms of use)<\/title>/);
      expect(html).toContain('href="/site.css"');
    }
    const privacy = await readFile(join(directory, 'privacy.html'), 'utf8');
    expect(privacy).toMatch(/never stored in clear/);
    expect(await readFile(join(directory, 'terms.html'), 'utf8')).toContain('href="/privacy"');
  }, 60_000);
});
