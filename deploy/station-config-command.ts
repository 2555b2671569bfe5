import type { DeploymentOutputs } from './deployment-outputs.ts';

/**
 * The command an operator runs once on a mailroom station to point it at this deployment: the
 * tenant, the station's public client, the API and the scope to ask for. Nothing in it is secret.
 */
export function stationConfigCommand(outputs: DeploymentOutputs): string {
  return [
    'npx station config',
    `--tenant-id ${outputs.tenantId}`,
    `--client-id ${outputs.stationClientId}`,
    `--api-url ${outputs.apiUrl}`,
    `--scope ${outputs.apiScope}`,
  ].join(' ');
}
