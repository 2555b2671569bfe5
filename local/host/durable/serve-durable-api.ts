import type { IncomingMessage, ServerResponse } from 'node:http';
import { readRequestBody } from '../http/read-request-body.ts';
import type { DurableApiResponse, DurableHttpApi } from './durable-http-api.ts';

/** Where the Durable HTTP API lives: the public webhook path, and the loopback RPC base. */
export const WEBHOOK_BASE_PATH = '/runtime/webhooks/durabletask';
export const RPC_BASE_PATH = '/durabletask';

/** Answers one request to the Durable HTTP API mounted at `basePath`. */
export async function serveDurableApi(
  api: DurableHttpApi,
  incoming: IncomingMessage,
  outgoing: ServerResponse,
  basePath: string,
): Promise<void> {
  const requestUrl = new URL(incoming.url ?? '/', 'http://localhost');
  const body = await readRequestBody(incoming);
  if (!body) {
    outgoing.writeHead(413, { 'Content-Length': '0' }).end();
    return;
  }
  const scheme = 'encrypted' in incoming.socket ? 'https' : 'http';
  const response = await api.handle({
    method: incoming.method ?? 'GET',
    path: requestUrl.pathname.slice(basePath.length),
    query: requestUrl.searchParams,
    headers: incoming.headers,
    body,
    url: `${incoming.headers.host ? `${scheme}://${incoming.headers.host}` : ''}${incoming.url ?? ''}`,
  });
  writeDurableApiResponse(outgoing, response);
}

/** Status, headers and a JSON body when there is one. */
export function writeDurableApiResponse(
  outgoing: ServerResponse,
  response: DurableApiResponse,
): void {
  const body =
    response.body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(response.body));
  outgoing.writeHead(response.status, {
    ...(response.body !== undefined ? { 'Content-Type': 'application/json; charset=utf-8' } : {}),
    'Content-Length': String(body.length),
    ...response.headers,
  });
  outgoing.end(body);
}
