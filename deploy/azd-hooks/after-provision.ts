import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildTeamsPackage } from '../../teams-app/package-teams-app.ts';
import { deploymentOutputsFromEnvironment } from '../deployment-outputs.ts';
import { stationConfigCommand } from '../station-config-command.ts';
import { teamsPackageSettings } from '../teams-package-settings.ts';

// azd postprovision hook: azd passes infra/main.bicep's outputs as environment variables. It
// builds the Teams app package for this deployment and prints the station's configuration line.
const REPOSITORY = fileURLToPath(new URL('../../', import.meta.url));
const TEAMS_PACKAGE = join(REPOSITORY, 'dist/teams-app/passkey-courier.zip');
try {
  const outputs = deploymentOutputsFromEnvironment(process.env);
  const zip = await buildTeamsPackage(teamsPackageSettings(outputs));
  await mkdir(dirname(TEAMS_PACKAGE), { recursive: true });
  await writeFile(TEAMS_PACKAGE, zip);
  console.log('\nPasskey Courier is provisioned.');
  console.log(`  API:  ${outputs.apiUrl}`);
  console.log(`  Tab:  ${outputs.tabSiteUrl} (in Teams: ${outputs.tabUrl})`);
  console.log(`\nTeams app package: ${relative(REPOSITORY, TEAMS_PACKAGE)}`);
  console.log('  Upload it in the Teams admin center (Teams apps > Manage apps > Upload new app),');
  console.log('  then: azd env set COURIER_TEAMS_APP_CATALOG_ID <its id> && azd provision');
  console.log('\nOn each mailroom station, run once:\n');
  console.log(`  ${stationConfigCommand(outputs)}\n`);
} catch (error) {
  console.error((error as Error).message);
  process.exitCode = 1;
}
