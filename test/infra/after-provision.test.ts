import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { deploymentOutputsFromEnvironment } from '../../deploy/deployment-outputs.ts';
import { stationConfigCommand } from '../../deploy/station-config-command.ts';
import { teamsPackageSettings } from '../../deploy/teams-package-settings.ts';
import { CONFIG_KEYS } from '../../station/cli/station-config.ts';
import { buildManifest } from '../../teams-app/package-teams-app.ts';

const run = promisify(execFile);
const REPOSITORY = fileURLToPath(new URL('../../', import.meta.url));

// What `azd provision` puts in the environment from infra/main.bicep's outputs.
const OUTPUTS = {
  AZURE_TENANT_ID: '5d2d1e3a-7c4b-4f1e-9a8d-3b6c2e1f0a47',
  COURIER_API_URL: 'https://func-courier-abc123.azurewebsites.net/api',
  COURIER_API_CLIENT_ID: '514ca42c-6f82-49ac-8b72-316d556237e4',
  COURIER_API_ID_URI:
    'api://nice-sea-0a1b2c3.westeurope.azurestaticapps.net/514ca42c-6f82-49ac-8b72-316d556237e4',
  COURIER_API_SCOPE:
    'api://nice-sea-0a1b2c3.westeurope.azurestaticapps.net/514ca42c-6f82-49ac-8b72-316d556237e4/access_as_user',
  COURIER_STATION_CLIENT_ID: 'e81bdd33-10b2-4e61-9892-f7e8f1a79e0a',
  COURIER_BOT_ID: '0f2b1c5e-8d43-4f0a-9b7e-5c1d2e3f4a5b',
  COURIER_TAB_DOMAIN: 'nice-sea-0a1b2c3.westeurope.azurestaticapps.net',
  COURIER_TAB_SITE_URL: 'https://nice-sea-0a1b2c3.westeurope.azurestaticapps.net/',
  COURIER_TEAMS_APP_ID: '8a6f7c2e-3b1d-5e4f-9a0b-1c2d3e4f5a6b',
  COURIER_TAB_URL:
    'https://teams.microsoft.com/l/entity/8a6f7c2e-3b1d-5e4f-9a0b-1c2d3e4f5a6b/requests',
  COURIER_FUNCTIONS_DOMAIN: 'func-courier-abc123.azurewebsites.net',
};

describe('after provisioning', () => {
  it('reads the deployment outputs azd passes, and names every missing one at once', () => {
    const outputs = deploymentOutputsFromEnvironment(OUTPUTS);
    expect(outputs.apiUrl).toBe(OUTPUTS.COURIER_API_URL);
    expect(outputs.tabDomain).toBe(OUTPUTS.COURIER_TAB_DOMAIN);
    const { COURIER_API_URL: _url, COURIER_STATION_CLIENT_ID: _station, ...partial } = OUTPUTS;
    expect(() => deploymentOutputsFromEnvironment({ ...partial, COURIER_BOT_ID: 'bot' })).toThrow(
      /COURIER_API_URL[\s\S]*COURIER_STATION_CLIENT_ID[\s\S]*COURIER_BOT_ID must be a GUID[\s\S]*azd provision/,
    );
  });

  it('gives the station the service, the tenant, its client and the scope', () => {
    expect(stationConfigCommand(deploymentOutputsFromEnvironment(OUTPUTS))).toBe(
      [
        `npx station config set serviceUrl https://${OUTPUTS.COURIER_FUNCTIONS_DOMAIN}`,
        `npx station config set tenantId ${OUTPUTS.AZURE_TENANT_ID}`,
        `npx station config set clientId ${OUTPUTS.COURIER_STATION_CLIENT_ID}`,
        `npx station config set apiScope ${OUTPUTS.COURIER_API_SCOPE}`,
      ].join(' && '),
    );
  });

  it('names only settings the station has', () => {
    const line = stationConfigCommand(deploymentOutputsFromEnvironment(OUTPUTS));
    const keys = [...line.matchAll(/config set (\w+) /g)].map((m) => m[1]);
    expect(keys.length).toBe(4);
    for (const key of keys) expect(CONFIG_KEYS).toContain(key);
  });

  it("fills the Teams manifest so its SSO resource is the API's Application ID URI", async () => {
    // Read as the JSON it is: the manifest's type is a union over every schema version.
    const manifest: any = await buildManifest(
      teamsPackageSettings(deploymentOutputsFromEnvironment(OUTPUTS)),
    );
    expect(manifest.id).toBe(OUTPUTS.COURIER_TEAMS_APP_ID);
    expect(manifest.bots[0].botId).toBe(OUTPUTS.COURIER_BOT_ID);
    expect(manifest.webApplicationInfo).toEqual({
      id: OUTPUTS.COURIER_API_CLIENT_ID,
      resource: OUTPUTS.COURIER_API_ID_URI,
    });
    expect(manifest.validDomains).toEqual([OUTPUTS.COURIER_TAB_DOMAIN]);
    // The bot's deep link (COURIER_TAB_URL) opens the manifest's "requests" tab.
    expect(manifest.staticTabs.map((tab: { entityId: string }) => tab.entityId)).toContain(
      OUTPUTS.COURIER_TAB_URL.split('/').at(-1),
    );
    expect(OUTPUTS.COURIER_TAB_URL).toContain(`/l/entity/${manifest.id}/`);
  });

  it('the postprovision hook builds the Teams package and prints the station config line', async () => {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', 'deploy/azd-hooks/after-provision.ts'],
      { cwd: REPOSITORY, env: { PATH: process.env.PATH ?? '', ...OUTPUTS } },
    );
    expect(stdout).toContain(`npx station config set tenantId ${OUTPUTS.AZURE_TENANT_ID}`);
    expect(stdout).toContain('Teams app package: dist/teams-app/passkey-courier.zip');
    const zip = await readFile(join(REPOSITORY, 'dist/teams-app/passkey-courier.zip'));
    expect(zip.subarray(0, 4).toString('hex')).toBe('504b0304');
    const failed = run(
      process.execPath,
      ['--import', 'tsx', 'deploy/azd-hooks/after-provision.ts'],
      {
        cwd: REPOSITORY,
        env: { PATH: process.env.PATH ?? '' },
      },
    );
    await expect(failed).rejects.toMatchObject({ code: 1 });
  }, 30_000);
});
