import type { MANIFEST_SETTINGS } from '../teams-app/package-teams-app.ts';
import type { DeploymentOutputs } from './deployment-outputs.ts';

/**
 * What teams-app/manifest.json is filled with for this deployment: the package id the Bicep fixed
 * (so the bot's deep links already point at it), the bot (the managed identity), the API app for
 * the tab's SSO, and the tab's page on the static site (its domain becomes validDomains and the
 * SSO resource's domain, as the API's Application ID URI expects).
 */
export function teamsPackageSettings(
  outputs: DeploymentOutputs,
): Record<(typeof MANIFEST_SETTINGS)[number], string> {
  return {
    COURIER_TEAMS_APP_ID: outputs.teamsAppId,
    COURIER_BOT_APP_ID: outputs.botId,
    COURIER_API_CLIENT_ID: outputs.apiClientId,
    COURIER_TAB_URL: outputs.tabSiteUrl,
  };
}
