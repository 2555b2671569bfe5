import type { ServerResponse } from 'node:http';
import type { RpcHttpCookie, RpcHttpData, RpcTypedData } from '../functions-core-api.ts';

/**
 * Writes the worker's HTTP response (RpcHttpData from the library's toRpcHttp) the way the
 * Functions host does: status, headers, each cookie as its own Set-Cookie header, and the body.
 */
export function writeRpcHttpResponse(
  outgoing: ServerResponse,
  response: RpcHttpData | undefined,
  method: string,
): void {
  const status = Number(response?.statusCode ?? 204) || 200;
  const body = bodyBytes(response?.body);
  const headers = new Map<string, string | string[]>();
  for (const [name, value] of Object.entries(response?.headers ?? {})) {
    const lower = name.toLowerCase();
    // The host frames the body itself.
    if (lower === 'content-length' || lower === 'transfer-encoding') continue;
    headers.set(name, value);
  }
  const cookies = (response?.cookies ?? []).map(setCookieHeader);
  if (cookies.length) {
    const existing = [...headers.entries()].find(([name]) => name.toLowerCase() === 'set-cookie');
    const before = existing ? [existing[1]].flat() : [];
    if (existing) headers.delete(existing[0]);
    headers.set('Set-Cookie', [...before, ...cookies]);
  }
  const noBody = status === 204 || status === 304 || method.toUpperCase() === 'HEAD';
  if (!noBody || method.toUpperCase() === 'HEAD')
    headers.set('Content-Length', String(body.length));
  outgoing.writeHead(status, Object.fromEntries(headers));
  outgoing.end(noBody ? undefined : body);
}

function bodyBytes(data: RpcTypedData | null | undefined): Buffer {
  if (!data) return Buffer.alloc(0);
  if (data.bytes)
    return Buffer.from(data.bytes.buffer, data.bytes.byteOffset, data.bytes.byteLength);
  if (data.stream) return Buffer.from(data.stream);
  if (typeof data.string === 'string') return Buffer.from(data.string);
  if (typeof data.json === 'string') return Buffer.from(data.json);
  if (typeof data.int === 'number' || typeof data.double === 'number') {
    return Buffer.from(String(data.int ?? data.double));
  }
  return Buffer.alloc(0);
}

/**
 * One cookie as ASP.NET Core writes it (the Functions host appends each with CookieOptions): the
 * value percent-encoded, path "/" unless given, lower-case attribute names. SameSite "none" from
 * the library means "not set"; "explicitNone" is an explicit SameSite=None.
 */
export function setCookieHeader(cookie: RpcHttpCookie): string {
  const parts = [`${cookie.name ?? ''}=${escapeDataString(cookie.value ?? '')}`];
  const expires = cookie.expires?.value?.seconds;
  if (typeof expires === 'number') parts.push(`expires=${new Date(expires * 1000).toUTCString()}`);
  const maxAge = cookie.maxAge?.value;
  if (typeof maxAge === 'number') parts.push(`max-age=${Math.trunc(maxAge)}`);
  if (cookie.domain?.value) parts.push(`domain=${cookie.domain.value}`);
  parts.push(`path=${cookie.path?.value || '/'}`);
  if (cookie.secure?.value) parts.push('secure');
  const sameSite = { lax: 'lax', strict: 'strict', explicitNone: 'none', none: undefined }[
    cookie.sameSite ?? 'none'
  ];
  if (sameSite) parts.push(`samesite=${sameSite}`);
  if (cookie.httpOnly?.value) parts.push('httponly');
  return parts.join('; ');
}

/** .NET's Uri.EscapeDataString: everything but A-Z a-z 0-9 - . _ ~ is percent-encoded. */
function escapeDataString(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}
