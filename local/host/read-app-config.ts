import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LocalHostError } from './local-host-error.ts';
import { parseQueueHostOptions, type QueueHostOptions } from './queue/queue-host-options.ts';

/** The Durable backends a Functions app can select in host.json (`storageProvider.type`). */
export type DurableBackend = 'azureStorage' | 'durableTaskScheduler' | 'mssql' | 'netherite';

export interface AppConfig {
  /** `extensions.http.routePrefix`: "api" unless host.json says otherwise ("" for none). */
  routePrefix: string;
  /** The task hub, with `%SETTING%` references resolved. */
  hubName: string;
  /** Which backend the app's configuration selects; the local host always uses its own store. */
  backend: DurableBackend;
  /** The storage provider's connection setting name, as the real host names it in webhook URLs. */
  connectionName: string;
  maxConcurrentActivityFunctions: number | undefined;
  maxConcurrentOrchestratorFunctions: number | undefined;
  /** `overridableExistingInstanceStates`: may startNew replace a running instance? */
  replaceRunningInstances: boolean;
  defaultVersion: string | undefined;
  /** `extensions.queues`: how queue triggers poll, retry, decode and give up. */
  queues: QueueHostOptions;
  /** local.settings.json `Values` (app settings), applied to the environment before loading. */
  settings: Record<string, string>;
  /** local.settings.json `Host.LocalHttpPort`, the port Core Tools would use. */
  localHttpPort: number | undefined;
}

/**
 * Reads host.json (required by the Functions host, so required here) and local.settings.json
 * (optional, as for Core Tools) from the app root.
 */
export async function readAppConfig(
  appRoot: string,
  environment: Record<string, string | undefined>,
): Promise<AppConfig> {
  const hostJson = await readJson(join(appRoot, 'host.json'), true);
  const localSettings = await readJson(join(appRoot, 'local.settings.json'), false);
  return parseAppConfig(hostJson, localSettings, environment);
}

/**
 * The pure part: interprets the two files. App settings resolve `%NAME%` references the way the
 * Functions host does, from the process environment first and local.settings.json second.
 */
export function parseAppConfig(
  hostJson: unknown,
  localSettings: unknown,
  environment: Record<string, string | undefined>,
): AppConfig {
  const problems: string[] = [];
  const settings = readSettings(localSettings, problems);
  const lookup = (name: string) => environment[name] ?? settings[name];
  const resolve = (text: string, where: string) =>
    text.replace(/%([^%]+)%/g, (whole, name: string) => {
      const value = lookup(name);
      if (value === undefined) {
        problems.push(`${where} refers to app setting ${name}, which is not set.`);
        return whole;
      }
      return value;
    });

  const root = applyHostOverrides(asObject(hostJson, 'host.json', problems) ?? {}, {
    ...settings,
    ...environment,
  });
  const extensions = asObject(root.extensions ?? {}, 'host.json extensions', problems) ?? {};
  const http = asObject(extensions.http ?? {}, 'extensions.http', problems) ?? {};
  const durable = asObject(extensions.durableTask ?? {}, 'extensions.durableTask', problems) ?? {};
  const queues = parseQueueHostOptions(extensions.queues, problems);
  const provider =
    asObject(durable.storageProvider ?? {}, 'durableTask.storageProvider', problems) ?? {};

  let routePrefix = 'api';
  if (http.routePrefix !== undefined) {
    if (typeof http.routePrefix === 'string') routePrefix = trimSlashes(http.routePrefix);
    else problems.push('extensions.http.routePrefix must be a string.');
  }

  const hubName =
    typeof durable.hubName === 'string'
      ? resolve(durable.hubName, 'durableTask.hubName')
      : 'TestHubName';
  // An unresolved %SETTING% is already reported; any other name must be a valid task hub.
  if (!hubName.includes('%') && !/^[A-Za-z][A-Za-z0-9]{2,49}$/.test(hubName)) {
    problems.push(
      `durableTask.hubName "${hubName}" is not a valid task hub name (3 to 50 letters and digits, starting with a letter).`,
    );
  }

  const typeText =
    typeof provider.type === 'string' ? resolve(provider.type, 'storageProvider.type') : '';
  const backend = backendOf(typeText, problems);
  const connectionName =
    typeof provider.connectionStringName === 'string'
      ? provider.connectionStringName
      : typeof provider.connectionName === 'string'
        ? provider.connectionName
        : 'Storage';

  const overridable = durable.overridableExistingInstanceStates;
  let replaceRunningInstances = false;
  if (overridable !== undefined) {
    if (overridable === 'AnyState' || overridable === 1) replaceRunningInstances = true;
    else if (overridable !== 'NonRunningStates' && overridable !== 0) {
      problems.push(
        'durableTask.overridableExistingInstanceStates must be "NonRunningStates" or "AnyState".',
      );
    }
  }

  const hostSection = asObject(
    (localSettings as { Host?: unknown } | undefined)?.Host ?? {},
    'local.settings.json Host',
    problems,
  );
  const port = hostSection?.LocalHttpPort;
  if (port !== undefined && !(Number.isInteger(port) && (port as number) >= 0)) {
    problems.push('local.settings.json Host.LocalHttpPort must be a port number.');
  }

  const config: AppConfig = {
    routePrefix,
    hubName,
    backend,
    connectionName,
    maxConcurrentActivityFunctions: positiveInteger(
      durable.maxConcurrentActivityFunctions,
      'durableTask.maxConcurrentActivityFunctions',
      problems,
    ),
    maxConcurrentOrchestratorFunctions: positiveInteger(
      durable.maxConcurrentOrchestratorFunctions,
      'durableTask.maxConcurrentOrchestratorFunctions',
      problems,
    ),
    replaceRunningInstances,
    defaultVersion: typeof durable.defaultVersion === 'string' ? durable.defaultVersion : undefined,
    queues,
    settings,
    localHttpPort: typeof port === 'number' ? port : undefined,
  };
  if (problems.length) {
    throw new LocalHostError(
      'APP_CONFIG_INVALID',
      `The app's configuration cannot be used:\n- ${problems.join('\n- ')}`,
    );
  }
  return config;
}

function backendOf(type: string, problems: string[]): DurableBackend {
  switch (type.toLowerCase()) {
    case '':
    case 'azurestorage':
      return 'azureStorage';
    case 'azuremanaged':
      return 'durableTaskScheduler';
    case 'mssql':
      return 'mssql';
    case 'netherite':
      return 'netherite';
    default:
      problems.push(
        `durableTask.storageProvider.type "${type}" is not one the Durable extension knows (AzureStorage, azureManaged, mssql, Netherite).`,
      );
      return 'azureStorage';
  }
}

function readSettings(localSettings: unknown, problems: string[]): Record<string, string> {
  if (localSettings === undefined) return {};
  const values = asObject(
    (localSettings as { Values?: unknown }).Values ?? {},
    'local.settings.json Values',
    problems,
  );
  const settings: Record<string, string> = {};
  for (const [name, value] of Object.entries(values ?? {})) {
    if (typeof value === 'string') settings[name] = value;
    else if (typeof value === 'number' || typeof value === 'boolean')
      settings[name] = String(value);
    else problems.push(`local.settings.json Values.${name} must be a string.`);
  }
  return settings;
}

function asObject(
  value: unknown,
  where: string,
  problems: string[],
): Record<string, unknown> | undefined {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    return value as Record<string, unknown>;
  }
  problems.push(`${where} must be a JSON object.`);
  return undefined;
}

const OVERRIDE_PREFIX = 'azurefunctionsjobhost__';

/**
 * App settings named `AzureFunctionsJobHost__path__to__value` override host.json values, as in
 * the Functions host (e.g. `AzureFunctionsJobHost__extensions__durableTask__storageProvider__type`
 * selects another Durable backend without a second host.json). Path segments match host.json's
 * keys case-insensitively; the value is the setting's text.
 */
export function applyHostOverrides(
  root: Record<string, unknown>,
  settings: Record<string, string | undefined>,
): Record<string, unknown> {
  const copy = structuredClone(root);
  for (const [name, value] of Object.entries(settings)) {
    if (value === undefined || !name.toLowerCase().startsWith(OVERRIDE_PREFIX)) continue;
    const path = name.slice(OVERRIDE_PREFIX.length).split('__').filter(Boolean);
    let node: Record<string, unknown> = copy;
    path.forEach((segment, index) => {
      const key =
        Object.keys(node).find((k) => k.toLowerCase() === segment.toLowerCase()) ?? segment;
      if (index === path.length - 1) {
        node[key] = value;
        return;
      }
      const next = node[key];
      if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
      node = node[key] as Record<string, unknown>;
    });
  }
  return copy;
}

function positiveInteger(value: unknown, where: string, problems: string[]): number | undefined {
  if (value === undefined) return undefined;
  if (Number.isInteger(value) && (value as number) > 0) return value as number;
  problems.push(`${where} must be a positive integer.`);
  return undefined;
}

function trimSlashes(text: string): string {
  return text.replace(/^\/+|\/+$/g, '');
}

async function readJson(path: string, required: boolean): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !required) return undefined;
    throw new LocalHostError('APP_CONFIG_INVALID', `Cannot read ${path}.`, { cause: error });
  }
  try {
    // Both files are JSON with comments in practice; the Functions host tolerates them too.
    return JSON.parse(stripJsonComments(text)) as unknown;
  } catch (error) {
    throw new LocalHostError('APP_CONFIG_INVALID', `${path} is not valid JSON.`, { cause: error });
  }
}

function stripJsonComments(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i] ?? '';
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else if (c === '/' && text[i + 1] === '*') {
      i = text.indexOf('*/', i + 2);
      if (i < 0) break;
      i++;
    } else out += c;
  }
  return out;
}
