import {
  app,
  type HttpRequest,
  type HttpResponseInit,
  type InvocationContext,
} from '@azure/functions';
import * as df from 'durable-functions';
import type { z } from 'zod';
import { GraphError } from '../../core/graph/graph-error.ts';
import { PinEnvelopeError } from '../../core/pin-envelope/pin-envelope.ts';
import { AuthError } from '../auth/auth-error.ts';
import type { Principal } from '../auth/principal.ts';
import { requireRole } from '../auth/require-role.ts';
import { requireScope } from '../auth/require-scope.ts';
import { courierServices, type CourierServices } from '../courier-services.ts';
import { ConfigurationError } from '../../core/graph/graph-settings.ts';
import { invocationLogger, type CourierLogger } from '../log/courier-logger.ts';
import { CourierError } from '../../core/courier-error.ts';
import { ApiError } from './api-error.ts';

/** What every API handler gets: the caller, the services, the request and a logger. */
export interface ApiCall {
  request: HttpRequest;
  context: InvocationContext;
  principal: Principal;
  services: CourierServices;
  log: CourierLogger;
}

/** Who may call: an app role (Station.Operator, Courier.Admin) or the delegated user scope. */
export type Access = { role: string } | { scope: string };

export const USER_SCOPE = 'access_as_user';
export const STATION_ROLE = 'Station.Operator';
export const ADMIN_ROLE = 'Courier.Admin';

/** The largest JSON body any API takes (a station's result is a few KB; bulk rows more). */
const MAX_BODY_BYTES = 256 * 1024;

/**
 * Wraps an API handler: authenticates the caller from the bearer token, checks the role or
 * scope, runs it, and turns every failure into a JSON error body with a stable code. Answers are
 * never cached (they are per caller, and one carries a PIN).
 */
export function api(
  access: Access,
  handler: (call: ApiCall) => Promise<HttpResponseInit>,
): (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit> {
  return async (request, context) => {
    const log = invocationLogger(context);
    try {
      const services = await courierServices();
      const principal = await services.tokens.validateAuthorization(
        request.headers.get('authorization'),
      );
      if ('role' in access) requireRole(principal, access.role);
      else requireScope(principal, access.scope);
      const response = await handler({ request, context, principal, services, log });
      return withHeaders(response);
    } catch (error) {
      return errorResponse(error, context, log);
    }
  };
}

/**
 * Registers API routes: anonymous at the Functions level (each call checks its Entra token
 * itself), all with the durable client binding, each wrapped by `api` with `access`.
 */
export function registerRoutes(
  access: Access,
  routes: [
    name: string,
    method: 'GET' | 'POST',
    path: string,
    handler: (call: ApiCall) => Promise<HttpResponseInit>,
  ][],
): void {
  const extraInputs = [df.input.durableClient()];
  for (const [name, method, path, handler] of routes) {
    app.http(name, {
      methods: [method],
      route: path,
      authLevel: 'anonymous',
      extraInputs,
      handler: api(access, handler),
    });
  }
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}) {
  return { status, jsonBody: body, headers } satisfies HttpResponseInit;
}

/**
 * Reads and validates a JSON body, answering 400 with every problem when it does not fit. Only
 * ever called after the caller's token was checked (see `api`). A declared Content-Length over
 * the limit is refused before anything is read, and the body is read as a stream that stops at
 * the limit, so a caller cannot make the app buffer more than MAX_BODY_BYTES.
 */
export async function readBody<T extends z.ZodType>(
  request: HttpRequest,
  schema: T,
): Promise<z.output<T>> {
  const type = request.headers.get('content-type') ?? '';
  if (!/^application\/json\b/i.test(type)) {
    throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json.');
  }
  const text = await readLimitedText(request, MAX_BODY_BYTES);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ApiError(400, 'INVALID_JSON', 'The body is not valid JSON.');
  }
  return validate(schema, value, 'body');
}

function bodyTooLarge(limit: number): ApiError {
  return new ApiError(413, 'BODY_TOO_LARGE', `The body is over ${limit} bytes.`);
}

/**
 * The body as UTF-8 text: a declared Content-Length over `limit` is refused before anything is
 * read, and the stream is read chunk by chunk and abandoned as soon as it passes `limit`
 * (413 BODY_TOO_LARGE either way). Every handler that reads a body reads it through this.
 */
export async function readLimitedText(request: HttpRequest, limit: number): Promise<string> {
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limit) throw bodyTooLarge(limit);
  if (!request.body) return '';
  const reader: ReadableStreamDefaultReader<Uint8Array> = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw bodyTooLarge(limit);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Validates a value (body, query, route parameter) against a schema, or answers 400. */
export function validate<T extends z.ZodType>(
  schema: T,
  value: unknown,
  what: string,
): z.output<T> {
  const checked = schema.safeParse(value);
  if (checked.success) return checked.data;
  const problems = checked.error.issues
    .slice(0, 20)
    .map((issue) => `${[what, ...issue.path.map(String)].join('.')}: ${issue.message}`);
  throw new ApiError(400, 'INVALID_REQUEST', `The request is not valid: ${problems.join('; ')}.`);
}

function withHeaders(response: HttpResponseInit): HttpResponseInit {
  return {
    ...response,
    headers: {
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      ...(response.headers as Record<string, string> | undefined),
    },
  };
}

/** The stores' error codes (job queue, PIN vault, index, audit) as HTTP statuses. */
const STATUS_BY_CODE: Record<string, number> = {
  NOT_FOUND: 404,
  CONFLICT: 409,
  LEASE_LOST: 409,
  INVALID_STATE: 409,
  INVALID_INPUT: 400,
  ALREADY_RELEASED: 410,
  DESTROYED: 410,
  OPTIONS_TOO_LARGE: 502,
  STORAGE: 503,
};

/** Maps each layer's errors to an HTTP answer; anything unexpected is a 500, logged in full. */
export function errorResponse(
  error: unknown,
  context: InvocationContext,
  log: CourierLogger,
): HttpResponseInit {
  const answer = (status: number, code: string, message: string, headers = {}) =>
    withHeaders(
      json(status, { error: { code, message, requestId: context.invocationId } }, headers),
    );
  if (error instanceof ApiError)
    return answer(error.status, error.code, error.message, error.headers);
  if (error instanceof AuthError) {
    if (error.httpStatus >= 500) log.error('auth-unavailable', {}, error);
    return answer(
      error.httpStatus,
      error.code,
      error.message,
      error.httpStatus === 401 ? { 'www-authenticate': 'Bearer' } : {},
    );
  }
  if (error instanceof PinEnvelopeError) {
    return answer(422, error.code, error.message);
  }
  if (error instanceof GraphError) {
    log.warn('graph-failed', { code: error.code, graphRequestId: error.requestId, error });
    const status =
      error.code === 'USER_NOT_FOUND' || error.code === 'NOT_FOUND'
        ? 404
        : error.code === 'CONFLICT'
          ? 409
          : 502;
    return answer(status, `GRAPH_${error.code}`, error.message);
  }
  if (error instanceof ConfigurationError) {
    log.error('configuration-invalid', {}, error);
    return answer(
      500,
      'CONFIGURATION_INVALID',
      'The service is misconfigured; an administrator must fix its settings (see the service log).',
    );
  }
  const code = error instanceof CourierError ? (error as CourierError<string>).code : undefined;
  const status = code === undefined ? undefined : STATUS_BY_CODE[code];
  if (code !== undefined && status !== undefined) {
    if (status >= 500) log.error('store-failed', {}, error);
    return answer(status, code, (error as Error).message);
  }
  log.error('unexpected-failure', {}, error);
  return answer(
    500,
    'INTERNAL',
    `Something went wrong on the service; quote ${context.invocationId} to IT.`,
  );
}
