import { z } from 'zod';
import { keyClassSchema } from '../../core/request/key-class.ts';
import { RequestReason } from '../../core/request/request-state.ts';
import { workflowPolicySchema } from './workflow-policy.ts';

export const actorSchema = z.strictObject({
  id: z.string().min(1).max(200),
  displayName: z.string().max(256).optional(),
  userPrincipalName: z.string().max(256).optional(),
});
export type Actor = z.infer<typeof actorSchema>;

/** What starts a request's orchestration. Validated again inside it, at the top. */
export const requestInputSchema = z.strictObject({
  requestId: z.string().regex(/^[A-Za-z0-9-]{8,64}$/),
  requester: actorSchema,
  reason: z.enum(Object.values(RequestReason) as [RequestReason, ...RequestReason[]]),
  note: z.string().max(500).optional(),
  keyClass: keyClassSchema,
  requestedAt: z.iso.datetime(),
  shippingAddress: z.string().max(500).optional(),
  /** Bulk requests an IT admin created: the admin is recorded as the approver. */
  preApprovedBy: actorSchema.optional(),
  /** The request this one replaces (after a lost-key report). */
  replaces: z.string().optional(),
  policy: workflowPolicySchema,
});
export type RequestInput = z.infer<typeof requestInputSchema>;

/** The orchestration's instance id: derived from the request id, so starting twice is safe. */
export function requestInstanceId(requestId: string): string {
  return `courier-request-${requestId}`;
}

/** The station job id for a request (one job per request; attempts are counted on it). */
export function requestJobId(requestId: string): string {
  return `job-${requestId}`;
}
