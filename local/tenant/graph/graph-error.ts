import { graphDateTime, type TenantRequest, type TenantResponse } from '../http/tenant-request.ts';

/**
 * Graph's error envelope: `{error: {code, message, innerError: {date, request-id,
 * client-request-id}}}`. Codes keep Graph's own spelling, which differs between workloads
 * (Request_ResourceNotFound from the directory, badRequest from authentication methods).
 */
export function graphError(
  request: TenantRequest,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): TenantResponse {
  return {
    status,
    headers,
    json: {
      error: {
        code,
        message,
        innerError: {
          date: graphDateTime(request.receivedAt),
          'request-id': request.requestId,
          'client-request-id': request.clientRequestId,
        },
      },
    },
  };
}

/** What Graph answers for an unknown segment. */
export function segmentNotFound(request: TenantRequest, segment: string): TenantResponse {
  return graphError(request, 400, 'BadRequest', `Resource not found for the segment '${segment}'.`);
}

export function userNotFound(request: TenantRequest, id: string): TenantResponse {
  return graphError(
    request,
    404,
    'Request_ResourceNotFound',
    `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
  );
}

export function methodNotAllowed(request: TenantRequest): TenantResponse {
  return graphError(request, 405, 'methodNotAllowed', 'The method is not supported for this URL.');
}
