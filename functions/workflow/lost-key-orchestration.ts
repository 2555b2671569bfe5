import * as df from 'durable-functions';
import type { OrchestrationContext, Task } from 'durable-functions';
import { z } from 'zod';
import { RequestState } from '../../core/request/request-state.ts';
import { callActivity } from './activity-contract.ts';
import { requestActivities, type RecordInput } from './request-activities.ts';
import { actorSchema, requestJobId } from './request-input.ts';

/** Versioned by name, like the request orchestration. */
export const LOST_KEY_ORCHESTRATION = 'courier-lost-key-v1';

export const lostKeyInputSchema = z.strictObject({
  requestId: z.string().min(1),
  requester: actorSchema,
  methodId: z.string().min(1),
  /** The request's next audit step: this continues its history. */
  step: z.number().int().positive(),
});
export type LostKeyInput = z.infer<typeof lostKeyInputSchema>;

export function lostKeyInstanceId(requestId: string): string {
  return `courier-lost-${requestId}`;
}

/**
 * A key reported lost after its request completed: the request's orchestration has ended, so
 * this one deletes the Graph method and records the revocation in the request's history.
 */
export function* lostKeyOrchestration(
  context: OrchestrationContext,
): Generator<Task, { result: string }, unknown> {
  const input = lostKeyInputSchema.parse(context.df.getInput());
  const retry = new df.RetryOptions(5_000, 6);
  retry.backoffCoefficient = 2;
  const revoked = yield* callActivity(
    context,
    requestActivities.Revoke,
    {
      requestId: input.requestId,
      jobId: requestJobId(input.requestId),
      userId: input.requester.id,
      methodId: input.methodId,
    },
    retry,
  );
  const record: RecordInput = {
    requestId: input.requestId,
    step: input.step,
    from: RequestState.Completed,
    state: RequestState.Revoked,
    event: 'lost',
    at: context.df.currentUtcDateTime.toISOString(),
    actor: input.requester,
    actorKind: 'requester',
    details: {
      methodId: input.methodId,
      reason: 'lost',
      ...(revoked.graphRequestId ? { graphRequestId: revoked.graphRequestId } : {}),
      message:
        revoked.result === 'already-gone'
          ? 'Reported lost; the Graph method was already gone.'
          : 'Reported lost; the Graph method was deleted.',
    },
    notify: [{ audience: 'requester', kind: 'revoked' }],
  };
  yield* callActivity(context, requestActivities.Record, record, retry);
  return { result: revoked.result };
}
