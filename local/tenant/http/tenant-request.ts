import type { IncomingHttpHeaders } from 'node:http';

/** One HTTP request as the tenant's handlers see it: body read, ids assigned, URL parsed. */
export interface TenantRequest {
  method: string;
  url: URL;
  /** Path segments, percent-decoded, without empty ones. */
  segments: string[];
  headers: IncomingHttpHeaders;
  body: Buffer;
  remoteAddress: string;
  /** Ours, for every response's request-id header and Graph's innerError. */
  requestId: string;
  /** The client's client-request-id if it sent one (echoed back), else our request id. */
  clientRequestId: string;
  /** When the request arrived, by the tenant's clock. */
  receivedAt: number;
}

/** What a handler answers; the server writes it, adding the id headers. */
export interface TenantResponse {
  status: number;
  headers?: Record<string, string>;
  /** Serialised as JSON unless `text` is given. */
  json?: unknown;
  /** A text body (HTML pages) with its content type in `headers`. */
  text?: string;
  /** A binary body (DER CRLs) with its content type in `headers`. */
  bytes?: Buffer;
  /** Fault injection: drop the connection instead of answering. */
  resetConnection?: boolean;
}

export function header(request: TenantRequest, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

export function jsonResponse(
  status: number,
  json: unknown,
  headers: Record<string, string> = {},
): TenantResponse {
  return { status, json, headers };
}

/** Graph and Entra dates: ISO 8601 in UTC without fractional seconds, like 2024-06-13T11:26:35Z. */
export function graphDateTime(epochMilliseconds: number): string {
  return new Date(epochMilliseconds).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
