import type { HttpResponseInit } from '@azure/functions';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { RequestState } from '../../core/request/request-state.ts';
import { stationIdSchema } from '../../core/station-api/station-api-schemas.ts';
import { ApiError } from './api-error.ts';
import {
  json,
  readBody,
  registerRoutes,
  STATION_ROLE,
  validate,
  type ApiCall,
} from './http-api.ts';
import { operatorOf } from './station-api.ts';

/** Requests whose key is no longer anyone's: it may be reset and reused. */
const RELEASED: ReadonlySet<RequestState> = new Set([
  RequestState.Closed,
  RequestState.Revoked,
  RequestState.Failed,
]);

const bodySchema = z.strictObject({
  stationId: stationIdSchema,
  /** Reset a key that is still assigned (IT said so); audited as forced. */
  force: z.boolean().optional(),
});

/**
 * POST station/keys/{serial}/reset-check: may the station reset this key? Not while it is
 * assigned to a request that is still live (in flight, or completed and in its employee's hands):
 * that is refused and audited on the request, unless forced, which is audited as such.
 */
async function resetCheck(call: ApiCall): Promise<HttpResponseInit> {
  const serial = validate(
    z.coerce.number().int().nonnegative(),
    call.request.params.serial,
    'serial',
  );
  const body = await readBody(call.request, bodySchema);
  const { audit, requests } = call.services;
  const ids = [...new Set((await audit.findBySerial(serial)).map((hit) => hit.requestId))];
  const live = (await Promise.all(ids.map((id) => requests.find(id)))).filter(
    (summary) => summary !== undefined && !RELEASED.has(summary.state),
  );
  if (live.length === 0) return json(200, { reset: 'allowed' });
  const operator = operatorOf(call);
  for (const summary of live) {
    await audit.append({
      recordId: `${summary!.requestId}:reset-${body.force ? 'forced' : 'refused'}:${randomUUID()}`,
      requestId: summary!.requestId,
      at: new Date().toISOString(),
      actor: {
        kind: 'operator',
        id: operator.id,
        ...(operator.displayName ? { displayName: operator.displayName } : {}),
      },
      to: summary!.state,
      event: body.force ? 'key-reset-forced' : 'key-reset-refused',
      stationId: body.stationId,
      keySerial: serial,
      detail: `Station ${body.stationId} ${body.force ? 'reset' : 'was refused a reset of'} key ${serial}, assigned to this ${summary!.state} request.`,
    });
  }
  if (body.force) return json(200, { reset: 'forced', requestIds: live.map((s) => s!.requestId) });
  throw new ApiError(
    409,
    'KEY_ASSIGNED',
    `Key ${serial} belongs to request ${live[0]!.requestId} (${live[0]!.state}): do not reset it. Set it aside for IT; only IT may force a reset.`,
  );
}

export function registerKeyResetCheckApi(): void {
  registerRoutes({ role: STATION_ROLE }, [
    ['station-key-reset-check', 'POST', 'station/keys/{serial}/reset-check', resetCheck],
  ]);
}
