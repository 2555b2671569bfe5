import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
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
  /** A kiosk's certificate file (never its contents): the token is renewed with it unattended. */
  certificatePath: z.string().optional(),
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
      return new ClientCertificateCredential(
        config.tenantId,
        kioskClientId(config),
        options.certificatePath ?? '',
        common,
      );
  }
}

/** The kiosk's own app registration, which a certificate sign-in is for. */
function kioskClientId(config: StationConfig): string {
  if (config.kioskClientId) return config.kioskClientId;
  throw new LoginError(
    'LOGIN_FAILED',
    'station login --certificate signs in as the kiosk’s own app registration (a confidential client with this certificate, granted Station.Operator as an application permission); set its application id with "station config set kioskClientId APP_ID".',
  );
}

/**
 * Signs the operator in and keeps the token (never printed): device code by default, a browser
 * where there is a desktop. An unattended kiosk signs in as its own app registration with a
 * certificate (client credentials, `{api}/.default`): the audit then names the kiosk, not a
 * person, and the token is renewed from the certificate whenever it runs out.
 */
export async function login(
  config: StationConfig,
  method: LoginMethod,
  options: { onDeviceCode?: (info: DeviceCodeInfo) => void; certificatePath?: string } = {},
): Promise<{ expiresOn: number; cache: 'persistent' | 'file' }> {
  if (method === 'certificate' && !options.certificatePath) {
    throw new LoginError(
      'LOGIN_FAILED',
      'station login --certificate needs the PEM file holding the kiosk’s certificate and its private key.',
    );
  }
  const certificatePath = options.certificatePath ? resolve(options.certificatePath) : undefined;
  const persistent = await persistentCacheAvailable();
  const credential = credentialFor(config, method, {
    ...options,
    ...(certificatePath ? { certificatePath } : {}),
    persistent,
  });
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
      clientId: method === 'certificate' ? kioskClientId(config) : config.clientId,
      method,
      ...(certificatePath ? { certificatePath } : {}),
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
    const { method, certificatePath } = parsed.data;
    if (method === 'certificate' && certificatePath) {
      // A kiosk has nobody to sign in again: its certificate does it.
      try {
        await login(config, 'certificate', { certificatePath });
      } catch (cause) {
        throw new LoginError(
          'NOT_SIGNED_IN',
          `The kiosk's sign-in expired and renewing it with ${certificatePath} failed (${cause instanceof Error ? cause.message : String(cause)}): fix the certificate, then run "station login --certificate FILE".`,
          { cause },
        );
      }
      return cachedToken(config);
    }
    throw new LoginError('NOT_SIGNED_IN', 'Your sign-in expired: run "station login".');
  }
  return parsed.data.token;
}

export async function logout(config: StationConfig): Promise<void> {
  await rm(cacheFile(config), { force: true });
}
