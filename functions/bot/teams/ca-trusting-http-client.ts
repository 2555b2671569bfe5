import { Agent, request } from 'node:https';
import { request as plainRequest } from 'node:http';

/** The parts of a Bot Connector request (core-http's WebResource) this client reads. */
interface ConnectorRequest {
  url: string;
  method: string;
  headers: { toJson(options?: { preserveCase?: boolean }): Record<string, string> };
  body?: unknown;
}

/**
 * An HTTP client for the Bot Connector that trusts one extra CA: the local CA, in local mode,
 * where the stand-in for Teams' Bot Connector serves HTTPS from it. (The connector client's
 * `agentSettings` and request policies are overwritten inside botbuilder; its `httpClient` is
 * kept.) Verification stays on: only that CA is added, for that client.
 */
export function caTrustingHttpClient(caPem: string) {
  const agent = new Agent({ ca: caPem, keepAlive: true });
  return {
    sendRequest(resource: ConnectorRequest) {
      const url = new URL(resource.url);
      const body =
        resource.body === undefined || resource.body === null
          ? undefined
          : typeof resource.body === 'string'
            ? resource.body
            : JSON.stringify(resource.body);
      const send = url.protocol === 'https:' ? request : plainRequest;
      return new Promise((done, fail) => {
        const outgoing = send(
          url,
          {
            method: resource.method,
            headers: resource.headers.toJson({ preserveCase: true }),
            ...(url.protocol === 'https:' ? { agent } : {}),
          },
          (answer) => {
            const parts: Buffer[] = [];
            answer.on('data', (part: Buffer) => parts.push(part));
            answer.on('error', fail);
            answer.on('end', () => {
              const headers: Record<string, string> = {};
              for (const [name, value] of Object.entries(answer.headers)) {
                if (value !== undefined)
                  headers[name] = Array.isArray(value) ? value.join(', ') : value;
              }
              done({
                request: resource,
                status: answer.statusCode ?? 0,
                headers: {
                  toJson: () => headers,
                  get: (name: string) => headers[name.toLowerCase()],
                  contains: (name: string) => name.toLowerCase() in headers,
                },
                bodyAsText: Buffer.concat(parts).toString('utf8'),
              });
            });
          },
        );
        outgoing.on('error', fail);
        outgoing.end(body);
      });
    },
  };
}
