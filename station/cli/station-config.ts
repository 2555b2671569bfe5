import { readFileSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { hostname, homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { CourierError } from '../../core/courier-error.ts';

/**
 * The local stack's well-known values (its seeded tenant and app registrations, `npm start`'s
 * ports and CA file), so a fresh clone's station needs no configuration at all.
 */
export const LOCAL_STACK = {
  serviceUrl: 'https://localhost:7071',
  tenantId: '5d2d1e3a-7c4b-4f1e-9a8d-3b6c2e1f0a47',
  authorityHost: 'https://localhost:8443',
  clientId: 'e81bdd33-10b2-4e61-9892-f7e8f1a79e0a',
  apiScope: 'api://514ca42c-6f82-49ac-8b72-316d556237e4/access_as_user',
  /** The seeded kiosk app (a confidential client granted Station.Operator as an application). */
  kioskClientId: '7c1f4e2b-9a3d-4b6e-8f05-2d9c6a1e3b74',
  caFile: fileURLToPath(new URL('../../.courier/tls/ca.pem', import.meta.url)),
};

export const configSchema = z.strictObject({
  serviceUrl: z.url().optional(),
  tenantId: z.string().min(1).optional(),
  authorityHost: z.url().optional(),
  clientId: z.string().min(1).optional(),
  apiScope: z.string().min(1).optional(),
  /**
   * For unattended kiosks: the kiosk's own app registration (a confidential client with a
   * certificate credential, granted Station.Operator as an application permission), which
   * `station login --certificate` signs in as. The operator's `clientId` is a public client
   * and cannot hold a certificate.
   */
  kioskClientId: z.string().min(1).optional(),
  caFile: z.string().min(1).optional(),
  stationId: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/)
    .optional(),
  carrier: z.string().min(1).max(80).optional(),
  /** PEM files of attestation roots the station trusts (e.g. Yubico's FIDO root). */
  attestationRoots: z.array(z.string()).optional(),
  /** Trust the software key's published root: test equipment, for the local stack. */
  trustSoftwareKeys: z.boolean().optional(),
  minPinLength: z.number().int().min(4).max(63).optional(),
  slipsDirectory: z.string().optional(),
});
export type StationConfigFile = z.infer<typeof configSchema>;

export interface StationConfig {
  serviceUrl: string;
  tenantId: string;
  authorityHost: string;
  clientId: string;
  apiScope: string;
  kioskClientId: string | undefined;
  caFile: string | undefined;
  stationId: string;
  carrier: string | undefined;
  attestationRoots: string[];
  trustSoftwareKeys: boolean;
  minPinLength: number;
  slipsDirectory: string;
  /** Where the station keeps its config and token cache. */
  home: string;
  /** Where each value came from, for `station config`. */
  sources: Record<string, 'flag' | 'environment' | 'file' | 'local stack default' | 'default'>;
}

export class StationConfigError extends CourierError<'INVALID_CONFIG'> {}

/** STATION_HOME, or ~/.config/passkey-courier-station. */
export function stationHome(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(
    env.STATION_HOME ??
      join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'passkey-courier-station'),
  );
}

export function configFilePath(env: NodeJS.ProcessEnv = process.env): string {
  return env.STATION_CONFIG ?? join(stationHome(env), 'config.json');
}

export async function readConfigFile(path: string): Promise<StationConfigFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  const parsed = configSchema.safeParse(JSON.parse(text));
  if (!parsed.success) {
    throw new StationConfigError(
      'INVALID_CONFIG',
      `${path}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}. Fix it with "station config set".`,
    );
  }
  return parsed.data;
}

export async function writeConfigFile(path: string, config: StationConfigFile): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
}

const ENV: Record<keyof StationConfigFile, string> = {
  serviceUrl: 'STATION_SERVICE_URL',
  tenantId: 'STATION_TENANT_ID',
  authorityHost: 'STATION_AUTHORITY_HOST',
  clientId: 'STATION_CLIENT_ID',
  apiScope: 'STATION_API_SCOPE',
  kioskClientId: 'STATION_KIOSK_CLIENT_ID',
  caFile: 'STATION_CA_FILE',
  stationId: 'STATION_ID',
  carrier: 'STATION_CARRIER',
  attestationRoots: 'STATION_ATTESTATION_ROOTS',
  trustSoftwareKeys: 'STATION_TRUST_SOFTWARE_KEYS',
  minPinLength: 'STATION_MIN_PIN_LENGTH',
  slipsDirectory: 'STATION_SLIPS_DIR',
};

export const CONFIG_KEYS = Object.keys(ENV) as (keyof StationConfigFile)[];

/** Turns a flag or environment text into the config value it stands for. */
export function parseConfigValue(key: keyof StationConfigFile, text: string): unknown {
  if (key === 'attestationRoots') return text.split(/[,:](?![\\/])/).filter(Boolean);
  if (key === 'trustSoftwareKeys') return text === 'true' || text === '1' || text === 'yes';
  if (key === 'minPinLength') return Number(text);
  return text;
}

/**
 * The configuration: flags win over the environment, which wins over the config file; what is
 * still missing is the local stack's, so a fresh clone works against `npm start` as it is.
 */
export async function resolveStationConfig(
  flags: Partial<Record<keyof StationConfigFile, string>>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<StationConfig> {
  const file = await readConfigFile(configFilePath(env));
  const sources: StationConfig['sources'] = {};
  const merged: Record<string, unknown> = {};
  for (const key of CONFIG_KEYS) {
    const flag = flags[key];
    const fromEnv = env[ENV[key]];
    if (flag !== undefined) {
      merged[key] = parseConfigValue(key, flag);
      sources[key] = 'flag';
    } else if (fromEnv !== undefined && fromEnv !== '') {
      merged[key] = parseConfigValue(key, fromEnv);
      sources[key] = 'environment';
    } else if (file[key] !== undefined) {
      merged[key] = file[key];
      sources[key] = 'file';
    }
  }
  const checked = configSchema.safeParse(merged);
  if (!checked.success) {
    throw new StationConfigError(
      'INVALID_CONFIG',
      `The station configuration is not valid: ${checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}.`,
    );
  }
  const values = checked.data;
  const local = values.serviceUrl === undefined || values.serviceUrl === LOCAL_STACK.serviceUrl;
  const pick = <K extends Exclude<keyof typeof LOCAL_STACK, 'kioskClientId'>>(key: K): string => {
    const value = values[key];
    if (value !== undefined) return value;
    if (!local) {
      throw new StationConfigError(
        'INVALID_CONFIG',
        `The service is ${values.serviceUrl}, so "${key}" must be configured too: station config set ${key} VALUE (or ${ENV[key]}).`,
      );
    }
    sources[key] = 'local stack default';
    return LOCAL_STACK[key];
  };
  const home = stationHome(env);
  const config: StationConfig = {
    serviceUrl: pick('serviceUrl'),
    tenantId: pick('tenantId'),
    authorityHost:
      values.authorityHost ??
      (local ? LOCAL_STACK.authorityHost : 'https://login.microsoftonline.com'),
    clientId: pick('clientId'),
    apiScope: pick('apiScope'),
    kioskClientId: values.kioskClientId ?? (local ? LOCAL_STACK.kioskClientId : undefined),
    caFile: values.caFile ?? (local ? LOCAL_STACK.caFile : undefined),
    stationId:
      values.stationId ??
      (hostname()
        .replace(/[^A-Za-z0-9._-]/g, '-')
        .slice(0, 64) ||
        'station'),
    carrier: values.carrier,
    attestationRoots: values.attestationRoots ?? [],
    trustSoftwareKeys: values.trustSoftwareKeys ?? local,
    minPinLength: values.minPinLength ?? 6,
    slipsDirectory: resolve(values.slipsDirectory ?? join(home, 'slips')),
    home,
    sources,
  };
  if (!sources.authorityHost) sources.authorityHost = local ? 'local stack default' : 'default';
  if (!sources.caFile && local) sources.caFile = 'local stack default';
  if (!sources.kioskClientId && local) sources.kioskClientId = 'local stack default';
  for (const key of [
    'stationId',
    'trustSoftwareKeys',
    'minPinLength',
    'slipsDirectory',
    'attestationRoots',
  ] as const) {
    sources[key] ??= 'default';
  }
  return config;
}

/** Reads a PEM file named in the configuration, saying how to fix a missing one. */
export function readPem(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (cause) {
    throw new StationConfigError(
      'INVALID_CONFIG',
      file === LOCAL_STACK.caFile
        ? `The local stack's CA file ${file} does not exist yet: start the local stack with "npm start", or point the station at your service with "station config set serviceUrl URL".`
        : `Cannot read ${what} ${file}: ${(cause as Error).message}. Fix it with "station config set".`,
      { cause },
    );
  }
}
