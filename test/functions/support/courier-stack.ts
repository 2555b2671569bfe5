import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  startLocalStack,
  type LocalStack,
  type LocalStackOptions,
} from '../../../local/stack/start-local-stack.ts';
import { httpsCall, type CallResult } from '../../local/host/support/https-call.ts';

export interface TestStack extends LocalStack {
  stateDirectory: string;
  /** A caller signed in as a persona (employee, manager, operator, admin) or any user's UPN. */
  as(who: string): CourierCaller;
  /** A bearer token for `who`, from the tenant's real device-code flow. */
  token(who: string): Promise<string>;
  stop(): Promise<void>;
}

export interface CourierCaller {
  get(path: string): Promise<CallResult>;
  post(path: string, body?: unknown): Promise<CallResult>;
}

/**
 * The whole local stack for an integration test: tenant, Azurite (HTTPS) and the functions app
 * in the local host, on free ports, with state in a fresh temporary folder.
 */
export async function startTestStack(
  options: Omit<LocalStackOptions, 'stateDirectory' | 'persistent'> = {},
): Promise<TestStack> {
  const stateDirectory = await mkdtemp(join(tmpdir(), 'courier-stack-'));
  const stack = await startLocalStack({
    port: 0,
    tenantPort: 0,
    ...options,
    stateDirectory,
    persistent: false,
  });
  const tokens = new Map<string, Promise<string>>();
  const token = (who: string) => {
    let pending = tokens.get(who);
    if (!pending) {
      pending = signIn(stack, who);
      tokens.set(who, pending);
    }
    return pending;
  };
  const target = { url: stack.host.url, caPem: stack.host.caPem };
  const as = (who: string): CourierCaller => ({
    get: async (path) =>
      httpsCall(target, 'GET', `/api/${path}`, {
        headers: { authorization: `Bearer ${await token(who)}` },
      }),
    post: async (path, body) =>
      httpsCall(target, 'POST', `/api/${path}`, {
        body: JSON.stringify(body ?? {}),
        headers: {
          authorization: `Bearer ${await token(who)}`,
          'content-type': 'application/json',
        },
      }),
  });
  return {
    ...stack,
    stateDirectory,
    as,
    token,
    async stop() {
      await stack.close();
      await rm(stateDirectory, { recursive: true, force: true });
    },
  };
}

/** The device-code flow against the tenant, approved through its controls: no browser. */
export async function signIn(
  stack: Pick<LocalStack, 'tenant'>,
  who: string,
  scope = `api://${stack.tenant.applications.functions!.clientId}/access_as_user`,
): Promise<string> {
  const { tenant } = stack;
  const target = { url: tenant.url, caPem: tenant.caPem };
  const clientId = tenant.applications.station!.clientId;
  const form = (fields: Record<string, string>) => ({
    body: new URLSearchParams(fields).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  const started = await httpsCall(
    target,
    'POST',
    `/${tenant.tenantId}/oauth2/v2.0/devicecode`,
    form({ client_id: clientId, scope }),
  );
  if (started.status !== 200) throw new Error(`devicecode: ${started.status} ${started.text}`);
  const grant = started.json<{ device_code: string; user_code: string }>();
  const approval = tenant.controls.approveDeviceCode(grant.user_code, who);
  if (!approval.ok) throw new Error(`cannot sign in as ${who}: ${approval.reason}`);
  const answer = await httpsCall(
    target,
    'POST',
    `/${tenant.tenantId}/oauth2/v2.0/token`,
    form({
      grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
      client_id: clientId,
      device_code: grant.device_code,
    }),
  );
  if (answer.status !== 200) throw new Error(`token: ${answer.status} ${answer.text}`);
  return answer.json<{ access_token: string }>().access_token;
}
