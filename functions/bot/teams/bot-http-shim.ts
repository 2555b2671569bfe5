import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import type { CloudAdapter, Request, Response, TurnContext } from 'botbuilder';

/**
 * Runs one Bot Framework HTTP request through `adapter.process`, which expects an Express-like
 * request (parsed body, headers) and response (status, header, send, end): a small pair over
 * Azure Functions' HttpRequest and HttpResponseInit.
 */
export async function processBotRequest(
  adapter: CloudAdapter,
  request: HttpRequest,
  body: unknown,
  logic: (context: TurnContext) => Promise<void>,
): Promise<HttpResponseInit> {
  const headers: Record<string, string> = {};
  request.headers.forEach((value, name) => {
    headers[name] = value;
  });
  const botRequest: Request = {
    body: body as Record<string, unknown>,
    headers,
    method: request.method,
  };
  let status = 200;
  let sent: unknown;
  const responseHeaders: Record<string, string> = {};
  const botResponse = {
    socket: undefined,
    status(code: number) {
      status = code;
      return botResponse;
    },
    header(name: string, value: unknown) {
      responseHeaders[name.toLowerCase()] = String(value);
      return botResponse;
    },
    send(value: unknown) {
      sent = value;
      return botResponse;
    },
    end() {
      return botResponse;
    },
  } as unknown as Response;
  await adapter.process(botRequest, botResponse, logic);
  if (sent === undefined) return { status, headers: responseHeaders };
  if (typeof sent === 'string') {
    return { status, body: sent, headers: { 'content-type': 'text/plain', ...responseHeaders } };
  }
  return { status, jsonBody: sent, headers: responseHeaders };
}
