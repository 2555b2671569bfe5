import { deploymentOutputsFromEnvironment } from '../deployment-outputs.ts';
import { stationConfigCommand } from '../station-config-command.ts';

// azd postprovision hook: azd passes infra/main.bicep's outputs as environment variables.
try {
  const outputs = deploymentOutputsFromEnvironment(process.env);
  console.log('\nPasskey Courier is provisioned.');
  console.log(`  API:  ${outputs.apiUrl}`);
  console.log(`  Tab:  ${outputs.tabSiteUrl} (in Teams: ${outputs.tabUrl})`);
  console.log('\nOn each mailroom station, run once:\n');
  console.log(`  ${stationConfigCommand(outputs)}\n`);
} catch (error) {
  console.error((error as Error).message);
  process.exitCode = 1;
}
