import { GRAPH_SETTING_NAMES } from '../../core/graph/graph-settings.ts';
import { BOT_SETTING_NAMES } from '../bot/bot-settings.ts';
import { COURIER_SETTING_NAMES } from './courier-settings.ts';
import { HOST_JSON_SETTINGS } from './host-settings.ts';

/**
 * Every app setting the functions app reads when it starts: its own, the Graph gateway's, the
 * bot's, and those host.json names. The one list infra/ is checked against (test/infra): each
 * must be set by the Bicep or appear in SETTINGS_LEFT_UNSET_IN_AZURE with the reason.
 */
export const APP_SETTINGS_READ_AT_START_UP: readonly string[] = [
  ...new Set([
    ...COURIER_SETTING_NAMES,
    ...GRAPH_SETTING_NAMES,
    ...BOT_SETTING_NAMES,
    ...Object.values(HOST_JSON_SETTINGS),
  ]),
].sort();

/** The settings a deployment to Azure leaves unset on purpose, and why. */
export const SETTINGS_LEFT_UNSET_IN_AZURE: Readonly<Record<string, string>> = {
  AzureWebJobsStorage:
    'a connection string; in Azure the identity-based AzureWebJobsStorage__* settings replace it',
  COURIER_STORAGE_CONNECTION:
    'a connection string (Azurite); Azure uses COURIER_STORAGE_TABLE_ENDPOINT with the managed identity',
  COURIER_QUEUES:
    'a connection string (Azurite); Azure uses the identity-based COURIER_QUEUES__queueServiceUri, __credential and __clientId',
  COURIER_CA_FILE: 'local mode: the local CA; Azure endpoints chain to public roots',
  COURIER_PIN_KEY_FILE: 'local mode: a key file; in Azure the key lives in Key Vault',
  COURIER_AUTHORITY_HOST: 'the default, https://login.microsoftonline.com, is right for Azure',
  COURIER_TABLE_PREFIX: 'one deployment per storage account needs no prefix',
  COURIER_REMINDER_HOURS: 'the workflow default (24) unless an admin sets it',
  COURIER_MAX_REMINDERS: 'the workflow default (3) unless an admin sets it',
  COURIER_APPROVAL_EXPIRY_DAYS: 'the workflow default (7) unless an admin sets it',
  COURIER_DELIVERY_CONFIRM_DAYS: 'the workflow default (14) unless an admin sets it',
  COURIER_MAX_STATION_ATTEMPTS: 'the workflow default (5) unless an admin sets it',
  COURIER_PREFETCH_OPTIONS: 'off by default: it needs the beta creation-options API',
  COURIER_MAX_LEASE_SECONDS: 'the default station lease (300 s)',
  COURIER_RESULT_WAIT_SECONDS: 'the default wait for Graph (25 s)',
  COURIER_TEAMS_APP_CATALOG_ID:
    'known only once the Teams app is in the org catalog; the Bicep sets it from teamsAppCatalogId when given',
  COURIER_BOT_APP_PASSWORD:
    'no secrets in Azure: the bot is the managed identity (UserAssignedMSI)',
  COURIER_BOT_AUTH: 'the default, entra: every activity must carry a Bot Framework token',
  COURIER_BOT_SERVICE_URL: "the default, Teams' public-cloud service URL",
  FIDO2_OPTIONS_API: 'v1.0 by default',
  FIDO2_CHALLENGE_TIMEOUT_MINUTES: 'beta creation options only',
  GRAPH_TENANT_ID: 'GRAPH_AUTH=managed-identity needs no tenant',
  GRAPH_CLIENT_SECRET: 'no secrets in Azure: GRAPH_AUTH=managed-identity',
  GRAPH_CLIENT_CERTIFICATE_PATH: 'no certificates in Azure: GRAPH_AUTH=managed-identity',
  GRAPH_AUTHORITY_HOST: 'local tenant only',
  GRAPH_BASE_URL: 'the default, https://graph.microsoft.com',
  GRAPH_CA_FILE: 'local tenant only',
  FIDO_METADATA: 'on by default against the real Graph: the preflight checks keys with FIDO MDS3',
  FIDO_METADATA_URL: "the FIDO Alliance's MDS3 BLOB by default",
  FIDO_METADATA_ROOT_FILE: "the BLOB's root (GlobalSign Root CA - R3) is built in",
};
