import { Agent, request as httpsRequest } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import type { Context, Middleware } from '@microsoft/microsoft-graph-client';
import { callRecordOf } from './graph-call.ts';
import { GraphError } from './graph-error.ts';

export interface HttpsTransportOptions {
  /** Extra trusted CA (PEM), e.g. the local tenant's. Verification always stays on. */
  ca?: string;
  /** Deadline of one attempt, from connect to the last byte. Default 30 s. */
  timeoutMs?: number;
}

// Errors raised before a single byte of the request could reach the server: retrying is safe.
const NOT_SENT = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);
const TLS_TRUST = /certificate|self[- ]signed|UNABLE_TO_VERIFY|CERT_/i;

/**
 * The last link of the Graph SDK's middleware chain: sends the request with node:https (so a
 * custom CA can be trusted without touching TLS verification) and hands back a fetch Response.
 * A connection that breaks after the request was sent is reported as NETWORK with
 * `outcomeUnknown`, so non-idempotent calls can be reconciled instead of blindly retried.
 */
export class HttpsTransport implements Middleware {
  private readonly agent: Agent;
  private readonly timeoutMs: number;

  constructor(options: HttpsTransportOptions = {}) {
    this.agent = new Agent({
      keepAlive: true,
      maxSockets: 32,
      ...(options.ca ? { ca: options.ca } : {}),
    });
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  async execute(context: Context): Promise<void> {
    const url = typeof context.request === 'string' ? context.request : context.request.url;
    const options = context.options ?? {};
    const method = (options.method ?? 'GET').toUpperCase();
    const headers = plainHeaders(options.headers);
    const record = callRecordOf(options);
    if (record) record.attempts += 1;
    const body =
      options.body === undefined || options.body === null
        ? undefined
        : Buffer.from(options.body as string | Uint8Array);
    if (body) headers['content-length'] = String(body.length);
    context.response = await new Promise<Response>((resolve, reject) => {
      let sent = false;
      const req = httpsRequest(
        url,
        { method, headers, agent: this.agent, timeout: this.timeoutMs },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', (error) => {
            const failure = networkError(url, method, error, true);
            if (record) record.networkError = failure;
            reject(failure);
          });
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            const payload =
              status === 204 || status === 304 || method === 'HEAD' ? null : Buffer.concat(chunks);
            resolve(
              new Response(payload, {
                status,
                statusText: res.statusMessage ?? '',
                headers: responseHeaders(res.headers),
              }),
            );
          });
        },
      );
      req.on('timeout', () =>
        req.destroy(
          Object.assign(new Error(`no complete answer within ${this.timeoutMs} ms`), {
            code: 'ETIMEDOUT',
          }),
        ),
      );
      req.on('error', (error: NodeJS.ErrnoException) => {
        const failure = networkError(url, method, error, sent && !NOT_SENT.has(error.code ?? ''));
        // The SDK keeps only the message of what a middleware throws; the record keeps the error.
        if (record) record.networkError = failure;
        reject(failure);
      });
      req.end(body, () => {
        sent = true;
      });
    });
  }
}

function networkError(
  url: string,
  method: string,
  error: NodeJS.ErrnoException,
  outcomeUnknown: boolean,
): GraphError {
  const where = `${method} ${new URL(url).origin}${new URL(url).pathname}`;
  const message = TLS_TRUST.test(`${error.code ?? ''} ${error.message}`)
    ? `TLS verification failed for ${where} (${error.message}). If this is the local tenant, trust its CA (GRAPH_CA_FILE).`
    : outcomeUnknown
      ? `The connection broke during ${where} (${error.code ?? error.message}); Graph may or may not have acted on it.`
      : `Could not reach Microsoft Graph for ${where} (${error.code ?? error.message}).`;
  return new GraphError('NETWORK', message, { cause: error, outcomeUnknown });
}

function plainHeaders(headers: HeadersInit | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  if (headers instanceof Headers) headers.forEach((value, key) => (out[key] = value));
  else if (Array.isArray(headers))
    for (const [key, value] of headers) out[key.toLowerCase()] = value;
  else for (const [key, value] of Object.entries(headers)) out[key.toLowerCase()] = String(value);
  return out;
}

function responseHeaders(headers: IncomingHttpHeaders): Headers {
  const out = new Headers();
  for (const [key, value] of Object.entries(headers)) {
    if (Array.isArray(value)) for (const v of value) out.append(key, v);
    else if (value !== undefined) out.set(key, value);
  }
  return out;
}
