import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import {
  ClientCertificateCredential,
  DeviceCodeCredential,
  InteractiveBrowserCredential,
  useIdentityPlugin,
  type DeviceCodeInfo,
} from '@azure/identity';
import { z } from 'zod';
import { CourierError } from '../../core/courier-error.ts';
import { readPem, type StationConfig } from './station-config.ts';

export type LoginMethod = 'device-code' | 'browser' | 'certificate';

export class LoginError extends CourierError<'NOT_SIGNED_IN' | 'LOGIN_FAILED'> {}

const cachedSchema = z.strictObject({
  token: z.string().min(1),
  expiresOn: z.number(),
  serviceUrl: z.string(),
  tenantId: z.string(),
  clientId: z.string(),
  method: z.enum(['device-code', 'browser', 'certificate']),
});

function cacheFile(config: StationConfig): string {
  return join(config.home, 'token.json');
}

/**
 * @azure/identity's persistent token cache (the OS keychain / DPAPI / libsecret) when its plugin
 * is installed; otherwise the station keeps its access token in a file only its user can read.
 */
async function persistentCacheAvailable(): Promise<boolean> {
  try {
    const name = '@azure/identity-cache-persistence';
    const plugin = (await import(name)) as {
      cachePersistencePlugin: Parameters<typeof useIdentityPlugin>[0];
    };
    useIdentityPlugin(plugin.cachePersistencePlugin);
    return true;
  } catch {
    return false;
  }
}

function credentialFor(
  config: StationConfig,
  method: LoginMethod,
  options: {
    onDeviceCode?: (info: DeviceCodeInfo) => void;
    certificatePath?: string;
    persistent: boolean;
  },
): TokenCredential {
  const local = config.authorityHost !== 'https://login.microsoftonline.com';
  const common = {
    authorityHost: config.authorityHost,
    ...(local ? { disableInstanceDiscovery: true } : {}),
    // The local stack's CA is trusted for this connection only; verification stays on.
    ...(config.caFile
      ? { tlsOptions: { ca: readPem(config.caFile, 'the CA file (caFile)') } }
      : {}),
    ...(options.persistent
      ? { tokenCachePersistenceOptions: { enabled: true, name: 'passkey-courier-station' } }
      : {}),
  };
  switch (method) {
    case 'device-code':
      return new DeviceCodeCredential({
        tenantId: config.tenantId,
        clientId: config.clientId,
        ...common,
        ...(options.onDeviceCode ? { userPromptCallback: options.onDeviceCode } : {}),
      });
    case 'browser':
      return new InteractiveBrowserCredential({
        tenantId: config.tenantId,
        clientId: config.clientId,
        redirectUri: 'http://localhost',
        ...common,
      });
    case 'certificate':
      if (!options.certificatePath) {
        throw new LoginError(
          'LOGIN_FAILED',
          'station login --certificate needs the PEM file of the kiosk certificate.',
        );
      }
      return new ClientCertificateCredential(
        config.tenantId,
        config.clientId,
        options.certificatePath,
        common,
      );
  }
}

/**
 * Signs the operator in and keeps the token (never printed): device code by default, a browser
 * where there is a desktop, a certificate for unattended kiosks.
 */
export async function login(
  config: StationConfig,
  method: LoginMethod,
  options: { onDeviceCode?: (info: DeviceCodeInfo) => void; certificatePath?: string } = {},
): Promise<{ expiresOn: number; cache: 'persistent' | 'file' }> {
  const persistent = await persistentCacheAvailable();
  const credential = credentialFor(config, method, { ...options, persistent });
  const scope =
    method === 'certificate'
      ? `${config.apiScope.replace(/\/[^/]*$/, '')}/.default`
      : config.apiScope;
  let token: AccessToken | null;
  try {
    token = await credential.getToken(scope);
  } catch (cause) {
    throw new LoginError(
      'LOGIN_FAILED',
      `Sign-in failed: ${cause instanceof Error ? cause.message.split('\n')[0] : String(cause)}`,
      { cause },
    );
  }
  if (!token) throw new LoginError('LOGIN_FAILED', 'Sign-in gave no token; try again.');
  await mkdir(config.home, { recursive: true, mode: 0o700 });
  const file = cacheFile(config);
  await writeFile(
    file,
    JSON.stringify({
      token: token.token,
      expiresOn: token.expiresOnTimestamp,
      serviceUrl: config.serviceUrl,
      tenantId: config.tenantId,
      clientId: config.clientId,
      method,
    }),
    { mode: 0o600 },
  );
  await chmod(file, 0o600);
  return { expiresOn: token.expiresOnTimestamp, cache: persistent ? 'persistent' : 'file' };
}

/** The signed-in operator's token for the service, or NOT_SIGNED_IN with what to do. */
export async function cachedToken(config: StationConfig): Promise<string> {
  let text: string;
  try {
    text = await readFile(cacheFile(config), 'utf8');
  } catch {
    throw new LoginError('NOT_SIGNED_IN', 'You are not signed in: run "station login".');
  }
  const parsed = cachedSchema.safeParse(JSON.parse(text));
  if (
    !parsed.success ||
    parsed.data.serviceUrl !== config.serviceUrl ||
    parsed.data.tenantId !== config.tenantId
  ) {
    throw new LoginError(
      'NOT_SIGNED_IN',
      `You are signed in to another service or tenant: run "station login".`,
    );
  }
  if (parsed.data.expiresOn - Date.now() < 60_000) {
    throw new LoginError('NOT_SIGNED_IN', 'Your sign-in expired: run "station login".');
  }
  return parsed.data.token;
}

export async function logout(config: StationConfig): Promise<void> {
  await rm(cacheFile(config), { force: true });
}
