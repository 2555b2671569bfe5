import { readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import {
  buildManifest,
  buildTeamsPackage,
  TeamsPackageError,
} from '../../teams-app/package-teams-app.ts';
import { rejection } from '../support/caught.ts';
import { readZip } from '../support/read-zip.ts';

const ENV = {
  COURIER_TEAMS_APP_ID: '11117a22-45d9-44d4-aa0b-3f4589246387',
  COURIER_BOT_APP_ID: '0f5a3c1e-8d2b-4e6f-9a7c-1b3d5e7f9a2c',
  COURIER_API_CLIENT_ID: '514ca42c-6f82-49ac-8b72-316d556237e4',
  COURIER_TAB_URL: 'https://courier.fabrikam.example/tab/',
};

/** The newest Teams manifest version whose schema @microsoft/app-manifest bundles. */
async function newestBundledVersion(): Promise<string> {
  const require = createRequire(import.meta.url);
  const root = dirname(require.resolve('@microsoft/app-manifest/package.json'));
  const versions = (await readdir(join(root, 'build/json-schemas/teams')))
    .filter((name) => /^v\d+\.\d+$/.test(name))
    .map((name) => name.slice(1));
  return versions.sort((a, b) => {
    const [am, an] = a.split('.').map(Number);
    const [bm, bn] = b.split('.').map(Number);
    return am! - bm! || an! - bn!;
  })[versions.length - 1]!;
}

describe('the Teams app package', () => {
  it('declares the newest manifest version the pinned validator bundles, and validates offline', async () => {
    const manifest = await buildManifest(ENV);
    const newest = await newestBundledVersion();
    expect(manifest.manifestVersion).toBe(newest);
    expect(manifest.$schema).toBe(
      `https://developer.microsoft.com/json-schemas/teams/v${newest}/MicrosoftTeams.schema.json`,
    );
    expect(manifest).toMatchObject({
      id: ENV.COURIER_TEAMS_APP_ID,
      bots: [{ botId: ENV.COURIER_BOT_APP_ID, scopes: ['personal'] }],
      staticTabs: expect.arrayContaining([
        expect.objectContaining({ contentUrl: ENV.COURIER_TAB_URL, scopes: ['personal'] }),
      ]),
      validDomains: ['courier.fabrikam.example'],
      webApplicationInfo: {
        id: ENV.COURIER_API_CLIENT_ID,
        resource: `api://courier.fabrikam.example/${ENV.COURIER_API_CLIENT_ID}`,
      },
    });
  });

  it('names every missing setting at once, and refuses what the schema refuses', async () => {
    const missing = await rejection(
      TeamsPackageError,
      buildManifest({ COURIER_TAB_URL: 'http://insecure.example/' }),
    );
    expect(missing.problems).toEqual([
      'Set COURIER_TEAMS_APP_ID.',
      'Set COURIER_BOT_APP_ID.',
      'Set COURIER_API_CLIENT_ID.',
      'COURIER_TAB_URL must be an https:// URL.',
    ]);
    const invalid = await rejection(
      TeamsPackageError,
      buildManifest({ ...ENV, COURIER_BOT_APP_ID: 'not-a-guid' }),
    );
    expect(invalid.problems.join('\n')).toMatch(/\/bots\/0\/botId/);
  });

  it('zips the manifest with a 192×192 colour icon and a 32×32 white-on-transparent outline', async () => {
    const files = readZip(await buildTeamsPackage(ENV));
    expect([...files.keys()].sort()).toEqual(['color.png', 'manifest.json', 'outline.png']);
    expect(JSON.parse(files.get('manifest.json')!.toString('utf8'))).toEqual(
      await buildManifest(ENV),
    );
    const color = PNG.sync.read(files.get('color.png')!);
    expect([color.width, color.height]).toEqual([192, 192]);
    const outline = PNG.sync.read(files.get('outline.png')!);
    expect([outline.width, outline.height]).toEqual([32, 32]);
    let white = 0;
    for (let i = 0; i < outline.data.length; i += 4) {
      const [r, g, b, a] = outline.data.subarray(i, i + 4);
      if (a === 0) continue;
      expect([r, g, b, a]).toEqual([255, 255, 255, 255]);
      white += 1;
    }
    expect(white).toBeGreaterThan(50);
    expect(white).toBeLessThan(32 * 32 - 50);
  });
});
