import type { IncomingMessage } from 'node:http';
import type { RpcHttpData } from '../functions-core-api.ts';

/**
 * An incoming request as the Functions host hands it to the worker (RpcHttpData): method, full
 * URL, headers, route parameters and the raw body bytes. The query string is left in the URL for
 * the library to parse, which keeps repeated keys (the host's own dictionary would merge them).
 */
export function toRpcHttpRequest(
  incoming: IncomingMessage,
  body: Buffer,
  origin: string,
  params: Record<string, string>,
): RpcHttpData {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(incoming.headers)) {
    if (value === undefined) continue;
    headers[name] = Array.isArray(value) ? value.join(name === 'cookie' ? '; ' : ', ') : value;
  }
  const host = incoming.headers.host;
  const url = `${host ? `https://${host}` : origin}${incoming.url ?? '/'}`;
  return {
    method: incoming.method ?? 'GET',
    url,
    headers,
    params,
    body: { bytes: body },
  };
}
