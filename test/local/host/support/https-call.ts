import { request, type Agent } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';

export interface CallResult {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json<T = unknown>(): T;
}

/** One HTTPS request that trusts only the given CA (never a disabled check). */
export function httpsCall(
  target: { url: string; caPem: string },
  method: string,
  path: string,
  options: { body?: string | Buffer; headers?: Record<string, string>; agent?: Agent } = {},
): Promise<CallResult> {
  const url = new URL(path, target.url);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      url,
      {
        method,
        ca: target.caPem,
        // A fresh connection per call unless the caller brings a keep-alive agent.
        agent: options.agent ?? false,
        headers: {
          ...(options.body !== undefined
            ? { 'content-length': String(Buffer.byteLength(options.body)) }
            : {}),
          ...options.headers,
        },
      },
      (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('error', reject);
        incoming.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: incoming.statusCode ?? 0,
            headers: incoming.headers,
            text,
            json: <T>() => JSON.parse(text) as T,
          });
        });
      },
    );
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}
