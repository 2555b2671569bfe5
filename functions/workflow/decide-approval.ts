import type { DurableClient } from 'durable-functions';
import {
  claimApprovalDecision,
  type ApprovalDecision,
  type DecisionClaim,
} from '../store/approval-decision-claim.ts';
import type { RequestIndex, RequestSummary } from '../store/request-index.ts';
import { RequestEvent } from './request-events.ts';

/**
 * An approver's decision, through the one path the HTTP API and the approval card both take:
 * the decision is claimed under the request summary's ETag first, and only the claim that wins
 * tells the workflow. Two approvers clicking at once, or one clicking twice, raise one event; the
 * others learn who decided and how from the claim.
 */
export async function decideApproval(
  client: DurableClient,
  requests: RequestIndex,
  summary: RequestSummary,
  decision: ApprovalDecision,
  comment?: string,
): Promise<DecisionClaim> {
  const claim = await claimApprovalDecision(requests, summary.requestId, decision);
  if (claim.outcome !== 'claimed') return claim;
  await client.raiseEvent(summary.instanceId, RequestEvent.ApprovalDecision, {
    approver: decision.by,
    approved: decision.approved,
    ...(comment ? { comment } : {}),
    at: decision.at,
  });
  return claim;
}
