import type { IncomingMessage } from 'node:http';

/** The Functions host refuses requests over 100 MB (HTTP 413); so does the local host. */
export const MAX_REQUEST_BODY_BYTES = 100 * 1024 * 1024;

/**
 * The whole request body, or undefined when it is larger than `maxBytes`: a declared
 * Content-Length over the limit is refused before a byte is read, and an undeclared (chunked)
 * body stops being read, and buffered, at the limit.
 */
export async function readRequestBody(
  incoming: IncomingMessage,
  maxBytes = MAX_REQUEST_BODY_BYTES,
): Promise<Buffer | undefined> {
  const declared = Number(incoming.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of incoming as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
