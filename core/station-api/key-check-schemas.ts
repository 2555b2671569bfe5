import { z } from 'zod';

/**
 * POST station/jobs/{jobId}/key-check: before the station touches a key's PIN, it asks the
 * service whether the tenant lets this job's user receive a key of this model. The service
 * answers from the tenant's passkey policy (targets, self-service setup, allowed AAGUIDs) and,
 * with attestation enforced, the FIDO metadata — the same checks Entra makes at registration.
 */
export const keyCheckRequestSchema = z.strictObject({
  leaseId: z.string().min(1).max(200),
  aaguid: z.uuid(),
});
export type KeyCheckRequest = z.infer<typeof keyCheckRequestSchema>;

export const keyCheckResponseSchema = z.strictObject({
  allowed: z.boolean(),
  /** Each reason the key is refused, with the instruction for the operator. */
  problems: z.array(z.strictObject({ code: z.string(), message: z.string() })),
  /** Whether the FIDO metadata was consulted, and what it said. */
  metadata: z.enum(['listed', 'not-listed', 'unavailable', 'not-enforced']),
});
export type KeyCheckResponse = z.infer<typeof keyCheckResponseSchema>;
