import { randomUUID } from 'node:crypto';
import type { RequestState } from '../../core/request/request-state.ts';
import type { ActorKind } from './audit-record.ts';
import type { AuditTrail } from './audit-trail.ts';

/**
 * Records a refused attempt in the request's audit trail (the state does not change): who tried
 * what, and why not. Used for approvals by the wrong person, self-approval and PIN reveals that
 * are not the requester's one.
 */
export async function auditRefusal(
  audit: Pick<AuditTrail, 'append'>,
  refusal: {
    requestId: string;
    state: RequestState;
    actor: { id: string; displayName?: string };
    actorKind: ActorKind;
    reason: string;
    detail: string;
  },
): Promise<void> {
  await audit.append({
    recordId: `${refusal.requestId}:refused:${randomUUID()}`,
    requestId: refusal.requestId,
    at: new Date().toISOString(),
    actor: {
      kind: refusal.actorKind,
      id: refusal.actor.id,
      ...(refusal.actor.displayName ? { displayName: refusal.actor.displayName } : {}),
    },
    to: refusal.state,
    event: `refused-${refusal.reason}`,
    reason: refusal.reason,
    detail: refusal.detail,
  });
}
