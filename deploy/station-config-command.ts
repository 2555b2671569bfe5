import type { DeploymentOutputs } from './deployment-outputs.ts';

/**
 * The line an operator runs once on a mailroom station to point it at this deployment (`station
 * config set`, one setting at a time): the service, the tenant, the station's public client and
 * the scope it asks for. Nothing in it is secret.
 */
export function stationConfigCommand(outputs: DeploymentOutputs): string {
  const settings: [string, string][] = [
    ['serviceUrl', `https://${outputs.functionsDomain}`],
    ['tenantId', outputs.tenantId],
    ['clientId', outputs.stationClientId],
    ['apiScope', outputs.apiScope],
  ];
  return settings.map(([key, value]) => `npx station config set ${key} ${value}`).join(' && ');
}
