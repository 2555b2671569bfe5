import { Agent } from 'node:https';
import type { TokenCredential } from '@azure/core-auth';
import { ManagedIdentityCredential } from '@azure/identity';
import { GraphGateway } from '../core/graph/graph-gateway.ts';
import {
  ConfigurationError,
  graphGatewayOptionsFromEnvironment,
} from '../core/graph/graph-settings.ts';
import { TokenValidator } from './auth/token-validator.ts';
import {
  openNotificationQueue,
  type NotificationQueue,
} from './notifications/notification-queue.ts';
import { courierSettingsFromEnvironment, type CourierSettings } from './config/courier-settings.ts';
import { KeyVaultPinKey } from './pin/key-vault-pin-key.ts';
import { LocalPinKey } from './pin/local-pin-key.ts';
import type { PinKey } from './pin/pin-key.ts';
import { PinVault } from './pin/pin-vault.ts';
import { AuditTrail } from './store/audit-trail.ts';
import { JobQueue } from './store/job-queue.ts';
import { NotificationOutbox } from './store/notification-outbox.ts';
import { openTable, type TableSettings } from './store/open-table.ts';
import { RegistrationAttempts } from './store/registration-attempts.ts';
import { OpenRequestClaims } from './store/open-request-claims.ts';
import { RequestIndex } from './store/request-index.ts';
import { SignInChecks } from './store/sign-in-checks.ts';
import { IssuedOptions } from './store/issued-options.ts';

/** Everything the app's functions use, built once per process from the app settings. */
export interface CourierServices {
  settings: CourierSettings;
  graph: GraphGateway;
  jobs: JobQueue;
  audit: AuditTrail;
  pins: PinVault;
  pinKey: PinKey;
  requests: RequestIndex;
  /** One open request per requester, claimed atomically (in the request index's table). */
  openRequests: OpenRequestClaims;
  outbox: NotificationOutbox;
  /** The notification queue: a message added to the outbox is nudged there for delivery. */
  nudges: NotificationQueue;
  attempts: RegistrationAttempts;
  /** The station's sign-in check, kept in the attempts' table. */
  signInChecks: SignInChecks;
  /** Creation options issued to stations, which submitted registrations are verified against. */
  issuedOptions: IssuedOptions;
  tokens: TokenValidator;
  /** Opens (creating if missing) another table in the app's storage, e.g. the bot's. */
  openTable(tableName: string): ReturnType<typeof openTable>;
}

let building: Promise<CourierServices> | undefined;

/**
 * The services, built on first use. A failure (bad settings, storage unreachable) is not cached:
 * the next call tries again, so a fixed setting or a storage that came up is picked up.
 */
export function courierServices(): Promise<CourierServices> {
  if (!building) {
    building = buildServices(process.env).catch((error: unknown) => {
      building = undefined;
      throw error;
    });
  }
  return building;
}

export async function buildServices(env: NodeJS.ProcessEnv): Promise<CourierServices> {
  const settings = courierSettingsFromEnvironment(env);
  const graph = new GraphGateway(graphGatewayOptionsFromEnvironment(env));
  // A permission that cannot work with the configured options API is said at start-up.
  const permissionProblems = await graph.checkPermissions();
  if (permissionProblems.length > 0) throw new ConfigurationError(permissionProblems);
  // Azure resources other than Graph (tables, Key Vault) use the app's managed identity.
  let identity: TokenCredential | undefined;
  const managedIdentity = () =>
    (identity ??=
      settings.storage.kind === 'endpoint' && settings.storage.managedIdentityClientId
        ? new ManagedIdentityCredential({ clientId: settings.storage.managedIdentityClientId })
        : new ManagedIdentityCredential());
  const table = (tableName: string): Promise<Awaited<ReturnType<typeof openTable>>> => {
    const tableSettings: TableSettings = {
      ...(settings.storage.kind === 'connection-string'
        ? { tableName, connectionString: settings.storage.connectionString }
        : { tableName, endpoint: settings.storage.endpoint, credential: managedIdentity() }),
      ...(settings.caPem ? { caPem: settings.caPem } : {}),
    };
    return openTable(tableSettings);
  };
  const [jobs, audit, pins, requests, outbox, attempts] = await Promise.all([
    table(settings.tables.jobs),
    table(settings.tables.audit),
    table(settings.tables.pins),
    table(settings.tables.requests),
    table(settings.tables.outbox),
    table(settings.tables.attempts),
  ]);
  const { queues } = settings;
  const nudges = await openNotificationQueue({
    ...(queues.kind === 'connection-string'
      ? { connectionString: queues.connectionString }
      : {
          serviceUri: queues.serviceUri,
          credential: new ManagedIdentityCredential(
            queues.managedIdentityClientId ? { clientId: queues.managedIdentityClientId } : {},
          ),
        }),
    ...(settings.caPem ? { caPem: settings.caPem } : {}),
  });
  const pinKey: PinKey =
    settings.pinKey.kind === 'key-vault'
      ? await KeyVaultPinKey.open({
          vaultUrl: settings.pinKey.vaultUrl,
          keyName: settings.pinKey.keyName,
          credential: managedIdentity(),
        })
      : await LocalPinKey.open({ path: settings.pinKey.path });
  const tokens = new TokenValidator({
    authorityHost: settings.authorityHost,
    tenantId: settings.tenantId,
    audiences: settings.apiAudiences,
    ...(settings.caPem ? { agent: new Agent({ keepAlive: true, ca: settings.caPem }) } : {}),
  });
  return {
    settings,
    graph,
    jobs: new JobQueue(jobs),
    audit: new AuditTrail(audit),
    pins: new PinVault(pins),
    pinKey,
    requests: new RequestIndex(requests),
    openRequests: new OpenRequestClaims(requests),
    // Delivery on write: each message added is nudged onto the queue (best effort; a lost nudge
    // is delivered by the safety-net sweep).
    outbox: new NotificationOutbox(outbox, { onAdded: (id) => nudges.nudge(id) }),
    nudges,
    attempts: new RegistrationAttempts(attempts),
    signInChecks: new SignInChecks(attempts),
    issuedOptions: new IssuedOptions(attempts),
    tokens,
    openTable: table,
  };
}
