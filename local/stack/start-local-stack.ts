import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startAzurite, type Azurite } from '../azurite/start-azurite.ts';
import type { HostLog } from '../host/host-log.ts';
import { startLocalHost, type LocalHost } from '../host/start-local-host.ts';
import {
  startLocalTenant,
  type LocalTenant,
  type LocalTenantOptions,
} from '../tenant/start-local-tenant.ts';
import { startLocalTeams, type LocalTeams } from '../teams/start-local-teams.ts';
import { ensureLocalTls } from '../tls/ensure-local-tls.ts';
import { courierAppSettings, DEMO_TEAMS_APP_ID } from './courier-app-settings.ts';

/** `.courier/` at the repository root: all local state. */
export const DEFAULT_STATE_DIRECTORY = fileURLToPath(new URL('../../.courier/', import.meta.url));
/** The functions app's registration entry point. */
export const FUNCTIONS_ENTRY = fileURLToPath(new URL('../../functions/index.ts', import.meta.url));

export interface LocalStackOptions {
  /** Where tables, instances, the PIN key and the tenant's state live; default `.courier/`. */
  stateDirectory?: string;
  /** Keep state across restarts (the default); tests run with memory-only tables and tenant. */
  persistent?: boolean;
  /** The functions host's HTTPS port (default 7071; 0 picks one). */
  port?: number;
  /** The tenant's HTTPS port (default 8443; 0 picks one). */
  tenantPort?: number;
  /** The local Teams page's HTTPS port (default 0: a free one; `npm start` uses 7072). */
  teamsPort?: number;
  /** How long the tab shows a revealed PIN (tests shorten it). */
  pinVisibleSeconds?: number;
  /** Durable time runs this many times faster (reminders in hours become seconds). */
  timeScale?: number;
  /** App settings that win over local mode's (e.g. COURIER_REMINDER_HOURS). */
  settings?: Record<string, string>;
  /** Further tenant options (tests: a faster device-code poll, throttling, faults). */
  tenantOptions?: Omit<LocalTenantOptions, 'port' | 'tlsDirectory' | 'stateFile'>;
  log?: HostLog;
}

export interface LocalStack {
  host: LocalHost;
  tenant: LocalTenant;
  azurite: Azurite;
  /** Teams for local mode: the chat page, the Bot Connector and the personal tab. */
  teams: LocalTeams;
  /** The app settings the functions app runs with. */
  settings: Record<string, string>;
  close(): Promise<void>;
}

/**
 * Local mode: the local Entra/Graph tenant, Azurite's tables over HTTPS, and the functions app
 * in the local Functions + Durable host, wired together and all trusting the one local CA.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const stateDirectory = resolve(options.stateDirectory ?? DEFAULT_STATE_DIRECTORY);
  const persistent = options.persistent ?? true;
  await mkdir(stateDirectory, { recursive: true, mode: 0o700 });
  const tlsDirectory = join(stateDirectory, 'tls');
  const tls = await ensureLocalTls({ directory: tlsDirectory });
  const tenant = await startLocalTenant({
    ...options.tenantOptions,
    port: options.tenantPort ?? 8443,
    tlsDirectory,
    ...(persistent ? { stateFile: join(stateDirectory, 'tenant.json') } : {}),
  });
  let azurite: Azurite | undefined;
  let teams: LocalTeams | undefined;
  try {
    teams = await startLocalTeams({
      tls,
      port: options.teamsPort ?? 0,
      tenantId: tenant.tenantId,
      ...(options.pinVisibleSeconds ? { pinVisibleSeconds: options.pinVisibleSeconds } : {}),
      personas: [...tenant.directory.personas].map(([name, user]) => ({
        name,
        id: user.id,
        displayName: user.displayName ?? name,
      })),
      signIn: {
        tenantUrl: tenant.url,
        tenantId: tenant.tenantId,
        caPem: tenant.caPem,
        clientId: tenant.applications['teams-web']!.clientId,
        scope: `api://${tenant.applications.functions!.clientId}/access_as_user`,
      },
    });
    azurite = await startAzurite({
      https: { certFile: tls.certificateFile, keyFile: tls.privateKeyFile, caPem: tls.caPem },
      ...(persistent ? { location: join(stateDirectory, 'azurite') } : {}),
    });
    const settings = courierAppSettings(
      { tenant, azurite, stateDirectory },
      {
        // The bot talks to the local Teams page, without Bot Framework tokens (loopback only).
        COURIER_BOT_AUTH: 'local-unauthenticated',
        COURIER_TAB_URL: teams.tabUrl,
        COURIER_BOT_SERVICE_URL: teams.serviceUrl,
        // The demo tenant's catalog entry for the app: people without it get it installed.
        COURIER_TEAMS_APP_CATALOG_ID: DEMO_TEAMS_APP_ID,
        ...options.settings,
      },
    );
    const host = await startLocalHost({
      entry: FUNCTIONS_ENTRY,
      port: options.port ?? 7071,
      stateDirectory: join(stateDirectory, 'host'),
      tlsDirectory,
      env: settings,
      ...(options.timeScale ? { timeScale: options.timeScale } : {}),
      ...(options.log ? { log: options.log } : {}),
    });
    teams.connect(`${host.url}/api/messages`);
    const started = azurite;
    const startedTeams = teams;
    return {
      host,
      tenant,
      azurite: started,
      teams: startedTeams,
      settings,
      async close() {
        await host.close();
        await startedTeams.close();
        await started.stop();
        await tenant.close();
      },
    };
  } catch (error) {
    await teams?.close();
    await azurite?.stop();
    await tenant.close();
    throw error;
  }
}
