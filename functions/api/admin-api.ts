import type { HttpResponseInit } from '@azure/functions';
import * as df from 'durable-functions';
import { z } from 'zod';
import { GraphError } from '../../core/graph/graph-error.ts';
import { RequestReason } from '../../core/request/request-state.ts';
import { bulkRequestId } from '../workflow/scoped-request-id.ts';
import { startRequest } from '../workflow/start-request.ts';
import { ADMIN_ROLE, json, readBody, registerRoutes, validate, type ApiCall } from './http-api.ts';
import { toRequestView } from './to-request-view.ts';

const access = { role: ADMIN_ROLE };

const bulkRowSchema = z.strictObject({
  /** The employee: a UPN or an Entra object id. */
  user: z.string().min(3).max(256),
  reason: z
    .enum(Object.values(RequestReason) as [RequestReason, ...RequestReason[]])
    .default(RequestReason.NewHire),
  keyClass: z.string().min(1).max(80).optional(),
  shippingAddress: z.string().min(1).max(500).optional(),
  note: z.string().max(500).optional(),
});

const bulkSchema = z.strictObject({
  /** Names the batch: the same batch sent again starts nothing twice. */
  batchId: z
    .string()
    .regex(/^[A-Za-z0-9-]{4,40}$/, 'batch ids are 4-40 letters, digits and dashes'),
  requests: z.array(z.unknown()).min(1).max(500),
});

type RowResult =
  | { row: number; user: string; status: 'started' | 'exists'; requestId: string }
  | { row: number; user: string; status: 'error'; error: { code: string; message: string } };

/** A row that passed every check, ready to start. */
interface PreparedRow {
  row: number;
  user: string;
  requestId: string;
  input: Parameters<typeof startRequest>[2];
}

/**
 * POST manage/requests/bulk: pre-approved requests for many employees (a new-hire intake), the
 * admin recorded as approver. Every row is checked first (its shape, its key class, the user in
 * Entra), and only then are the good rows started: a bad row — even `null` — is reported with
 * what to fix and neither stops the others nor leaves the batch half-started. Request ids derive
 * from the batch and the user, so resending a batch (after a timeout, say) starts nothing twice.
 */
async function bulkRequests(call: ApiCall): Promise<HttpResponseInit> {
  const body = await readBody(call.request, bulkSchema);
  const { services, principal } = call;
  const client = df.getClient(call.context);
  const admin = {
    id: principal.userId,
    ...(principal.name ? { displayName: principal.name } : {}),
    ...(principal.userPrincipalName ? { userPrincipalName: principal.userPrincipalName } : {}),
  };
  const results: RowResult[] = [];
  const prepared: PreparedRow[] = [];
  for (const [index, raw] of body.requests.entries()) {
    const row = index + 1;
    const checked = await checkRow(call, body.batchId, admin, row, raw);
    if ('status' in checked) results.push(checked);
    else prepared.push(checked);
  }
  for (const ready of prepared) {
    try {
      const { started } = await startRequest(client, services.settings, ready.input);
      results.push({
        row: ready.row,
        user: ready.user,
        status: started ? 'started' : 'exists',
        requestId: ready.requestId,
      });
    } catch (error) {
      call.log.error('bulk-row-failed', { row: ready.row }, error);
      results.push(rowError(ready.row, ready.user, 'FAILED', errorMessage(error)));
    }
  }
  results.sort((a, b) => a.row - b.row);
  const failed = results.filter((r) => r.status === 'error').length;
  call.log.info('bulk-requests', { batchId: body.batchId, rows: results.length, failed });
  return json(failed === results.length ? 422 : 200, {
    batchId: body.batchId,
    started: results.filter((r) => r.status === 'started').length,
    existing: results.filter((r) => r.status === 'exists').length,
    failed,
    results,
  });
}

/** One row's checks, in order: shape, key class, the user in Entra. Starts nothing. */
async function checkRow(
  call: ApiCall,
  batchId: string,
  admin: { id: string; displayName?: string; userPrincipalName?: string },
  row: number,
  raw: unknown,
): Promise<PreparedRow | RowResult> {
  const { services } = call;
  const parsed = bulkRowSchema.safeParse(raw);
  if (!parsed.success) {
    const user =
      typeof raw === 'object' && raw !== null && 'user' in raw && typeof raw.user === 'string'
        ? raw.user
        : '';
    return rowError(
      row,
      user,
      'INVALID_ROW',
      parsed.error.issues.map((i) => `${i.path.join('.') || 'row'}: ${i.message}`).join('; '),
    );
  }
  const input = parsed.data;
  const className = input.keyClass ?? services.settings.defaultKeyClass;
  const keyClass = services.settings.keyClasses.find((k) => k.name === className);
  if (!keyClass) {
    return rowError(
      row,
      input.user,
      'UNKNOWN_KEY_CLASS',
      `No key class "${className}"; use one of ${services.settings.keyClasses.map((k) => k.name).join(', ')}.`,
    );
  }
  try {
    const user = await services.graph.getUser(input.user);
    if (user.accountEnabled === false) {
      return rowError(
        row,
        input.user,
        'USER_DISABLED',
        `${input.user}'s account is disabled in Entra.`,
      );
    }
    const requestId = bulkRequestId(batchId, user.id);
    return {
      row,
      user: input.user,
      requestId,
      input: {
        requestId,
        requester: {
          id: user.id,
          ...(user.displayName ? { displayName: user.displayName } : {}),
          ...(user.userPrincipalName ? { userPrincipalName: user.userPrincipalName } : {}),
        },
        reason: input.reason,
        keyClass,
        preApprovedBy: admin,
        ...(input.note ? { note: input.note } : {}),
        ...(input.shippingAddress ? { shippingAddress: input.shippingAddress } : {}),
      },
    };
  } catch (error) {
    if (!(error instanceof GraphError)) throw error;
    return rowError(
      row,
      input.user,
      error.code,
      error.code === 'USER_NOT_FOUND'
        ? `No user ${input.user} in the directory; check the UPN.`
        : error.message,
    );
  }
}

function rowError(row: number, user: string, code: string, message: string): RowResult {
  return { row, user, status: 'error', error: { code, message } };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const auditQuerySchema = z.strictObject({
  requestId: z.string().min(1).max(200).optional(),
  since: z.iso.datetime().optional(),
  until: z.iso.datetime().optional(),
  pageSize: z.coerce.number().int().min(1).max(1000).optional(),
  continuationToken: z.string().min(1).max(4096).optional(),
});

/** GET manage/audit: the audit trail, one request's or all of it, newest first, paged. */
async function audit(call: ApiCall): Promise<HttpResponseInit> {
  const query = validate(
    auditQuerySchema,
    Object.fromEntries(call.request.query.entries()),
    'query',
  );
  if (query.requestId) {
    return json(200, { records: await call.services.audit.listByRequest(query.requestId) });
  }
  const { requestId: _r, ...options } = query;
  return json(200, await call.services.audit.list(options));
}

const findSchema = z
  .strictObject({
    serial: z.coerce.number().int().nonnegative().optional(),
    credentialId: z.string().min(8).max(1400).optional(),
  })
  .refine((q) => (q.serial === undefined) !== (q.credentialId === undefined), {
    error: 'give exactly one of serial and credentialId',
  });

/** GET manage/requests/find?serial=… or ?credentialId=…: which request a key belongs to. */
async function find(call: ApiCall): Promise<HttpResponseInit> {
  const query = validate(findSchema, Object.fromEntries(call.request.query.entries()), 'query');
  const { audit, requests } = call.services;
  const hits =
    query.serial !== undefined
      ? await audit.findBySerial(query.serial)
      : await audit.findByCredentialId(query.credentialId!);
  const ids = [...new Set(hits.map((hit) => hit.requestId))];
  const found = await Promise.all(ids.map((id) => requests.find(id)));
  return json(200, {
    requests: found.flatMap((summary) =>
      summary
        ? [
            {
              ...toRequestView(summary, call.principal.userId),
              methodId: summary.methodId,
              aaguid: summary.aaguid,
              serial: summary.serial,
            },
          ]
        : [],
    ),
  });
}

/**
 * Where the IT admins' API lives. Not `admin/`: the Functions host keeps every route starting
 * with "admin" (or "runtime") for itself and refuses to register such a function in Azure.
 */
export const ADMIN_ROUTE_PREFIX = 'manage';

/** Registers the IT admins' API (app role Courier.Admin). */
export function registerAdminApi(): void {
  registerRoutes(access, [
    ['admin-bulk-requests', 'POST', `${ADMIN_ROUTE_PREFIX}/requests/bulk`, bulkRequests],
    ['admin-audit', 'GET', `${ADMIN_ROUTE_PREFIX}/audit`, audit],
    ['admin-find-request', 'GET', `${ADMIN_ROUTE_PREFIX}/requests/find`, find],
  ]);
}
