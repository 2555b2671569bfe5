import type { IncomingMessage } from 'node:http';

/** The Functions host refuses requests over 100 MB (HTTP 413); so does the local host. */
export const MAX_REQUEST_BODY_BYTES = 100 * 1024 * 1024;

/** The whole request body, or undefined when it is larger than `maxBytes`. */
export async function readRequestBody(
  incoming: IncomingMessage,
  maxBytes = MAX_REQUEST_BODY_BYTES,
): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of incoming as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
