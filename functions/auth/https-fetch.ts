import type { Agent } from 'node:https';
import { request } from 'node:https';

export interface HttpsFetchInit {
  method?: string;
  headers?: HeadersInit;
  signal?: AbortSignal | null;
}

/** A fetch for GETs of small JSON documents: OIDC metadata and signing keys. */
export type HttpsFetch = (url: string, init?: HttpsFetchInit) => Promise<Response>;

const NO_BODY = new Set([101, 204, 205, 304]);

/**
 * A fetch-compatible function over node:https with a given Agent. Node's global fetch cannot take
 * an https.Agent, and a local CA (the local tenant's) must be trusted through the agent's `ca`
 * option, never by turning certificate checks off. It refuses plain http, follows no redirects
 * (the caller sees the 3xx), honours the abort signal and caps the body.
 */
export function createHttpsFetch(agent: Agent, maxBytes = 1024 * 1024): HttpsFetch {
  return (url, init = {}) =>
    new Promise<Response>((resolve, reject) => {
      const target = new URL(url);
      if (target.protocol !== 'https:') {
        reject(new Error(`Refusing to fetch ${target.origin}: only https is allowed.`));
        return;
      }
      const headers = Object.fromEntries(new Headers(init.headers ?? {}).entries());
      const req = request(
        target,
        { method: init.method ?? 'GET', headers, agent, signal: init.signal ?? undefined },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > maxBytes) {
              req.destroy(new Error(`${target.origin} sent more than ${maxBytes} bytes.`));
              return;
            }
            chunks.push(chunk);
          });
          res.on('end', () => {
            const status = res.statusCode ?? 502;
            const responseHeaders = new Headers();
            for (const [name, value] of Object.entries(res.headers)) {
              if (value === undefined) continue;
              for (const one of [value].flat()) responseHeaders.append(name, one);
            }
            resolve(
              new Response(NO_BODY.has(status) ? null : Buffer.concat(chunks), {
                status,
                headers: responseHeaders,
              }),
            );
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end();
    });
}
