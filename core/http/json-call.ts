import { request as httpsRequest, type Agent } from 'node:https';
import { request as httpRequest } from 'node:http';

export interface JsonAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  text: string;
}

/**
 * One JSON call over HTTPS with Node's own TLS (verification always on; `agent` carries an extra
 * CA such as the local stack's). Plain http is accepted only for loopback addresses. The station
 * calls the service with it, and the contract probe calls Graph.
 */
export function jsonCall(
  url: URL,
  method: 'GET' | 'POST' | 'DELETE',
  options: { agent?: Agent; headers?: Record<string, string>; body?: unknown; timeoutMs?: number },
): Promise<JsonAnswer> {
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    return Promise.reject(
      new Error(`${url.origin} is not HTTPS; only HTTPS is used (plain http to loopback alone).`),
    );
  }
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method,
        ...(url.protocol === 'https:' && options.agent ? { agent: options.agent } : {}),
        headers: {
          accept: 'application/json',
          ...(payload === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
          ...options.headers,
        },
        timeout: options.timeoutMs ?? 60_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {
            body = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text });
        });
      },
    );
    req.on('timeout', () =>
      req.destroy(new Error(`No answer to ${method} ${url.pathname} from ${url.origin} in time.`)),
    );
    req.on('error', reject);
    req.end(payload);
  });
}
