import { request } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import type { LocalTenant } from '../../../local/tenant/start-local-tenant.ts';

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: any;
}

export interface CallOptions {
  token?: string;
  json?: unknown;
  form?: Record<string, string>;
  headers?: Record<string, string>;
}

/**
 * One HTTPS request to the tenant, trusting its CA through the `ca` option: certificate checks
 * stay on, exactly as for every client of the local tenant.
 */
export function call(
  tenant: Pick<LocalTenant, 'url' | 'caPem'>,
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<HttpAnswer> {
  const headers: Record<string, string> = { ...options.headers };
  let body: string | undefined;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] ??= 'application/json';
  } else if (options.form) {
    body = new URLSearchParams(options.form).toString();
    headers['content-type'] ??= 'application/x-www-form-urlencoded';
  }
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const url = path.startsWith('https://') ? path : `${tenant.url}${path}`;
  return new Promise((resolve, reject) => {
    // servername pins the certificate check to the URL's host even when a test forges Host.
    const req = request(
      url,
      { method, headers, ca: tenant.caPem, agent: false, servername: new URL(url).hostname },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text.length > 0 ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** An application token from client credentials (the functions app's secret unless told). */
export async function appToken(
  tenant: LocalTenant,
  options: { application?: string; scope?: string } = {},
): Promise<string> {
  const app = tenant.applications[options.application ?? 'functions']!;
  const answer = await call(tenant, 'POST', `/${tenant.tenantId}/oauth2/v2.0/token`, {
    form: {
      grant_type: 'client_credentials',
      client_id: app.clientId,
      client_secret: app.clientSecret!,
      scope: options.scope ?? 'https://graph.microsoft.com/.default',
    },
  });
  if (answer.status !== 200) throw new Error(`token request failed: ${answer.text}`);
  return (answer.json as { access_token: string }).access_token;
}
