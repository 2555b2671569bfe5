import { z } from 'zod';
import { ConfigurationError } from '../core/graph/graph-settings.ts';

/**
 * What a deployment produced, as infra/main.bicep outputs it and azd hands it to hooks (and keeps
 * it in .azure/<environment>/.env): what the Teams package and the station configuration need.
 */
export interface DeploymentOutputs {
  tenantId: string;
  /** https://<function app>/api */
  apiUrl: string;
  /** The API app registration's client id (the Teams manifest's webApplicationInfo.id). */
  apiClientId: string;
  /** api://<tab domain>/<client id> (webApplicationInfo.resource). */
  apiIdUri: string;
  /** The delegated scope the tab and the station ask for. */
  apiScope: string;
  stationClientId: string;
  /** The bot's app id: the managed identity's client id. */
  botId: string;
  /** Where the tab's static files are served over HTTPS. */
  tabDomain: string;
  tabSiteUrl: string;
  /** The Teams app package's id (manifest "id"). */
  teamsAppId: string;
  /** The Teams deep link to the personal tab. */
  tabUrl: string;
  functionsDomain: string;
}

const guid = (name: string) => z.uuid({ error: `${name} must be a GUID.` });
const https = (name: string) =>
  z.url({ protocol: /^https$/, error: `${name} must be an https:// URL.` });
const text = (name: string) =>
  z
    .string({ error: `${name} is missing.` })
    .trim()
    .min(1);

const schema = z.object({
  AZURE_TENANT_ID: guid('AZURE_TENANT_ID'),
  COURIER_API_URL: https('COURIER_API_URL'),
  COURIER_API_CLIENT_ID: guid('COURIER_API_CLIENT_ID'),
  COURIER_API_ID_URI: text('COURIER_API_ID_URI'),
  COURIER_API_SCOPE: text('COURIER_API_SCOPE'),
  COURIER_STATION_CLIENT_ID: guid('COURIER_STATION_CLIENT_ID'),
  COURIER_BOT_ID: guid('COURIER_BOT_ID'),
  COURIER_TAB_DOMAIN: text('COURIER_TAB_DOMAIN'),
  COURIER_TAB_SITE_URL: https('COURIER_TAB_SITE_URL'),
  COURIER_TEAMS_APP_ID: guid('COURIER_TEAMS_APP_ID'),
  COURIER_TAB_URL: https('COURIER_TAB_URL'),
  COURIER_FUNCTIONS_DOMAIN: text('COURIER_FUNCTIONS_DOMAIN'),
});

/** Reads the outputs from the environment azd gives its hooks; every problem at once. */
export function deploymentOutputsFromEnvironment(env: NodeJS.ProcessEnv): DeploymentOutputs {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigurationError([
      ...parsed.error.issues.map((issue) => issue.message),
      'These come from `azd provision` (infra/main.bicep outputs); run it, or `azd env refresh`.',
    ]);
  }
  const v = parsed.data;
  return {
    tenantId: v.AZURE_TENANT_ID,
    apiUrl: v.COURIER_API_URL.replace(/\/+$/, ''),
    apiClientId: v.COURIER_API_CLIENT_ID,
    apiIdUri: v.COURIER_API_ID_URI,
    apiScope: v.COURIER_API_SCOPE,
    stationClientId: v.COURIER_STATION_CLIENT_ID,
    botId: v.COURIER_BOT_ID,
    tabDomain: v.COURIER_TAB_DOMAIN,
    tabSiteUrl: v.COURIER_TAB_SITE_URL,
    teamsAppId: v.COURIER_TEAMS_APP_ID,
    tabUrl: v.COURIER_TAB_URL,
    functionsDomain: v.COURIER_FUNCTIONS_DOMAIN,
  };
}
