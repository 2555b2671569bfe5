import type { AuditTrail } from '../store/audit-trail.ts';
import type { ApprovalDecisionView } from './cards/approval-card.ts';

/** The approver's decision on a request, as the workflow recorded it in the audit trail. */
export async function approvalDecisionOf(
  audit: Pick<AuditTrail, 'listByRequest'>,
  requestId: string,
): Promise<ApprovalDecisionView | undefined> {
  const records = await audit.listByRequest(requestId);
  const decided = records.find(
    (r) => (r.event === 'approved' || r.event === 'rejected') && r.approver,
  );
  if (!decided?.approver) return undefined;
  return {
    approved: decided.event === 'approved',
    by: decided.approver,
    at: decided.at,
    ...(decided.detail ? { comment: decided.detail } : {}),
  };
}
