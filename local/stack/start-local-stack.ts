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
import { ensureLocalTls } from '../tls/ensure-local-tls.ts';
import { courierAppSettings } from './courier-app-settings.ts';

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
  try {
    azurite = await startAzurite({
      https: { certFile: tls.certificateFile, keyFile: tls.privateKeyFile, caPem: tls.caPem },
      ...(persistent ? { location: join(stateDirectory, 'azurite') } : {}),
    });
    const settings = courierAppSettings(
      { tenant, azurite, stateDirectory },
      options.settings ?? {},
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
    const started = azurite;
    return {
      host,
      tenant,
      azurite: started,
      settings,
      async close() {
        await host.close();
        await started.stop();
        await tenant.close();
      },
    };
  } catch (error) {
    await azurite?.stop();
    await tenant.close();
    throw error;
  }
}
