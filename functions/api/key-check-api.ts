import type { HttpResponseInit } from '@azure/functions';
import {
  keyCheckRequestSchema,
  type KeyCheckResponse,
} from '../../core/station-api/key-check-schemas.ts';
import { json, readBody, registerRoutes, STATION_ROLE, type ApiCall } from './http-api.ts';
import { audited, jobIdOf, requireLease } from './station-api.ts';

/**
 * POST station/jobs/{jobId}/key-check: the tenant's word on a key before its PIN is touched.
 * The station has already checked the key against the job's key class; this adds what only the
 * service can read — the passkey policy for this user (targets, self-service setup, allowed
 * AAGUIDs, passkey types) and, with attestation enforced, the FIDO metadata — through the same
 * gateway preflight the registration activity runs, so a key Entra would refuse is set aside
 * fresh instead of being programmed and reset. A refusal is audited on the request.
 */
async function keyCheck(call: ApiCall): Promise<HttpResponseInit> {
  const body = await readBody(call.request, keyCheckRequestSchema);
  const job = await call.services.jobs.get(jobIdOf(call));
  const lease = requireLease(job, body.leaseId, call.principal.userId);
  const preflight = await call.services.graph.preflight(
    job.recipient.userId,
    body.aaguid.toLowerCase(),
  );
  if (preflight.metadataError)
    call.log.warn('fido-metadata-unavailable', {
      aaguid: body.aaguid,
      reason: preflight.metadataError,
    });
  const answer: KeyCheckResponse = {
    allowed: preflight.allowed,
    problems: preflight.problems.map((p) => ({ code: p.code, message: p.message })),
    metadata: preflight.metadata ?? 'not-enforced',
  };
  if (!answer.allowed) {
    await audited(call, job, 'key-refused-by-policy', {
      stationId: lease.stationId,
      leaseId: lease.leaseId,
      detail: `A key of AAGUID ${body.aaguid} was refused before programming: ${answer.problems.map((p) => p.code).join(', ')}.`,
    });
  }
  return json(200, answer);
}

export function registerKeyCheckApi(): void {
  registerRoutes({ role: STATION_ROLE }, [
    ['station-key-check', 'POST', 'station/jobs/{jobId}/key-check', keyCheck],
  ]);
}
