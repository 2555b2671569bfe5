import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HostLog } from '../host-log.ts';
import { invokeTrigger } from '../invoke-trigger.ts';
import type { FunctionApp } from '../load-function-app.ts';
import type { RouteMatch } from './http-route-table.ts';
import { readRequestBody } from './read-request-body.ts';
import { toRpcHttpRequest } from './to-rpc-http-request.ts';
import { writeRpcHttpResponse } from './write-rpc-http-response.ts';

export interface HttpTriggerContext {
  app: FunctionApp;
  /** The host's root URL, for requests without a Host header. */
  origin: string;
  /** The durable client binding's value (JSON), for functions with a durableClient input. */
  durableClientInput: string;
  log: HostLog;
}

/**
 * Runs the HTTP-triggered function a route matched and writes its response. A handler that throws
 * is answered 500 with no body, as the Functions host does, and logged with its invocation id.
 */
export async function serveHttpTrigger(
  host: HttpTriggerContext,
  matched: RouteMatch,
  incoming: IncomingMessage,
  outgoing: ServerResponse,
): Promise<void> {
  const body = await readRequestBody(incoming);
  if (!body) {
    // The rest of the body is never read: the connection closes with the answer.
    outgoing.writeHead(413, { 'Content-Length': '0', Connection: 'close' }).end();
    return;
  }
  const fn = matched.route.fn;
  const outcome = await invokeTrigger(host, fn, {
    http: toRpcHttpRequest(incoming, body, host.origin, matched.params),
  });
  if (!outcome.ok) {
    outgoing.writeHead(500, { 'Content-Length': '0' }).end();
    return;
  }
  // The response is the `$return` http binding, or a named http output binding.
  const response = outcome.response;
  const http =
    response.returnValue?.http ??
    response.outputData?.find((output) => output.data?.http)?.data?.http ??
    undefined;
  writeRpcHttpResponse(outgoing, http, incoming.method ?? 'GET');
}
