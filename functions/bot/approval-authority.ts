import { RequestState } from '../../core/request/request-state.ts';
import type { RequestSummary } from '../store/request-index.ts';

export type ApprovalRefusal = 'self-approval' | 'not-approver' | 'not-pending' | 'no-identity';

/**
 * Whether `actorId` (the invoke's `from.aadObjectId`) may decide on the request now. The
 * workflow checks the same rules again when the decision arrives; this check is what gives the
 * person a clear answer at once and what the refusal audit records.
 */
export function approvalAuthority(
  summary: RequestSummary,
  actorId: string | undefined,
): { ok: true } | { ok: false; refusal: ApprovalRefusal } {
  if (!actorId) return { ok: false, refusal: 'no-identity' };
  const actor = actorId.toLowerCase();
  if (summary.requester.id.toLowerCase() === actor) return { ok: false, refusal: 'self-approval' };
  if (!summary.approvers.some((approver) => approver.id.toLowerCase() === actor)) {
    return { ok: false, refusal: 'not-approver' };
  }
  if (summary.state !== RequestState.AwaitingApproval) {
    return { ok: false, refusal: 'not-pending' };
  }
  return { ok: true };
}
