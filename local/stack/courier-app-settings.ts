import { join } from 'node:path';
import { VIRTUAL_KEY_AAGUID } from '../../station/virtual-key/virtual-key.ts';
import type { Azurite } from '../azurite/start-azurite.ts';
import type { LocalTenant } from '../tenant/start-local-tenant.ts';

/** Groups of the demo organisation (local/tenant/seed/demo-organisation.json). */
export const DEMO_GROUPS = {
  fallbackApprovers: '715fa8bf-b1d3-4c74-afd3-91e0654f74da',
  admins: 'c6cae64e-1d28-45a6-aee8-70c3b429d3d3',
} as const;

/** The Teams app in the demo tenant's app catalog (seed `teamsApps`). */
export const DEMO_TEAMS_APP_ID = '08157b45-1f7c-4c5b-9e08-b1411fb757a7';

/** Key classes of local mode: the software key, and the YubiKey 5 models the demo policy allows. */
export const LOCAL_KEY_CLASSES = [
  {
    name: 'Software key (local)',
    allowedAaguids: [VIRTUAL_KEY_AAGUID],
    minimumFirmware: '5.7.0',
  },
  {
    name: 'YubiKey 5 Series',
    allowedAaguids: [
      '2fc0579f-8113-47ea-b116-bb5a8db9202a',
      'cb69481e-8ff7-4039-93ec-0a2729a154a8',
      'ee882879-721c-4913-9775-3dfcce97072a',
      '73bb0cd4-e502-49b8-9c6f-b59445bf720b',
      'c1f9a0bc-1dd2-404a-b27f-8e29047a43fd',
    ],
    minimumFirmware: '5.7.0',
  },
];

/**
 * The functions app's settings for local mode: Entra and Graph are the local tenant (trusted
 * through the local CA), tables are in Azurite, the PIN key is a file in the state folder.
 * `overrides` win (tests shorten reminders, say).
 */
export function courierAppSettings(
  parts: { tenant: LocalTenant; azurite: Azurite; stateDirectory: string },
  overrides: Record<string, string> = {},
): Record<string, string> {
  const { tenant, azurite } = parts;
  const functionsApp = tenant.applications.functions;
  if (!functionsApp?.clientSecret) {
    throw new Error('The tenant seed has no "functions" application with a client secret.');
  }
  return {
    FUNCTIONS_WORKER_RUNTIME: 'node',
    TASKHUB_NAME: 'CourierLocal',
    // host.json selects the Durable Task Scheduler; the local host keeps its own store.
    DURABLE_TASK_SCHEDULER_CONNECTION_STRING: 'Endpoint=http://localhost:8080;Authentication=None',
    AzureWebJobsStorage: azurite.connectionString,
    COURIER_TENANT_ID: tenant.tenantId,
    COURIER_AUTHORITY_HOST: tenant.url,
    COURIER_API_AUDIENCES: `${functionsApp.clientId},api://${functionsApp.clientId}`,
    COURIER_CA_FILE: tenant.caFile,
    COURIER_STORAGE_CONNECTION: azurite.connectionString,
    // The notification queue trigger's connection (Azurite's queue service), and the producer's.
    COURIER_QUEUES: azurite.connectionString,
    COURIER_PIN_KEY_FILE: join(parts.stateDirectory, 'pin-key.pem'),
    COURIER_FALLBACK_APPROVERS_GROUP_ID: DEMO_GROUPS.fallbackApprovers,
    COURIER_IT_GROUP_ID: DEMO_GROUPS.admins,
    COURIER_KEY_CLASSES: JSON.stringify(LOCAL_KEY_CLASSES),
    COURIER_DEFAULT_KEY_CLASS: LOCAL_KEY_CLASSES[0]!.name,
    GRAPH_AUTH: 'secret',
    GRAPH_TENANT_ID: tenant.tenantId,
    GRAPH_CLIENT_ID: functionsApp.clientId,
    GRAPH_CLIENT_SECRET: functionsApp.clientSecret,
    GRAPH_AUTHORITY_HOST: tenant.url,
    GRAPH_BASE_URL: tenant.url,
    GRAPH_CA_FILE: tenant.caFile,
    // The preflight reads the tenant's FIDO metadata, as it reads the FIDO Alliance's in Azure.
    FIDO_METADATA_URL: tenant.metadata.url,
    FIDO_METADATA_ROOT_FILE: tenant.metadata.rootFile,
    ...overrides,
  };
}
