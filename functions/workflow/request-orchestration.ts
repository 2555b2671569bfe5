import type { OrchestrationContext } from 'durable-functions';
import { RequestState } from '../../core/request/request-state.ts';
import { approve } from './approval-stage.ts';
import { deliver } from './delivery-stage.ts';
import { requestInputSchema, type Actor } from './request-input.ts';
import { RequestFlow, type Flow, type RequestResult } from './request-flow.ts';
import { program } from './station-stage.ts';

/**
 * Versioned by name: a change that alters the sequence of tasks gets a new name. v2: no timer
 * reaches past MAX_TIMER_MS (long waits are chains of short timers), which changes the timers a
 * v1 history holds, so v1 histories would not replay under this code.
 */
export const REQUEST_ORCHESTRATION = 'courier-request-v2';

/**
 * One key request, from asking to the PIN's release (docs/design.md §2.1), in three stages around a
 * shared core (request-flow.ts). Deterministic: time comes from the orchestration clock,
 * everything that touches the world is an activity, and each external event is validated again
 * in its stage, since anyone holding the durable client can raise one.
 */
export function* requestOrchestration(context: OrchestrationContext): Flow<RequestResult> {
  const parsed = requestInputSchema.safeParse(context.df.getInput());
  if (!parsed.success) {
    // Nothing to record against: fail the instance with a message saying what was wrong.
    throw new Error(
      `Request input is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const input = parsed.data;
  const flow = new RequestFlow(context, input);
  yield* flow.record(RequestState.Requested, 'requested', {
    actor: input.requester,
    request: {
      requester: input.requester,
      reason: input.reason,
      keyClass: input.keyClass,
      requestedAt: input.requestedAt,
      jobId: flow.jobId,
      ...(input.note === undefined ? {} : { note: input.note }),
      ...(input.replaces === undefined ? {} : { replaces: input.replaces }),
    },
  });

  const approval = yield* approve(flow);
  if (approval) return approval;

  const registered = yield* program(flow);
  if ('state' in registered) return registered;

  return yield* deliver(flow, registered.methodId, registered.leaseId);
}

export type { Actor, RequestResult };
