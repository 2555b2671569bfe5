import { RequestState } from '../../core/request/request-state.ts';
import type { RequestIndex, RequestSummary } from './request-index.ts';

export type ApprovalDecision = NonNullable<RequestSummary['decision']>;

/** How claiming a decision went: taken, already taken (by whom and how), or too late. */
export type DecisionClaim =
  | { outcome: 'claimed' }
  | { outcome: 'already-decided'; earlier: ApprovalDecision }
  | { outcome: 'not-awaiting'; state: RequestState };

/**
 * Takes the one approval decision a request gets, under its summary's ETag: of two approvers
 * deciding at once (or one clicking twice) exactly one claims it, and the other learns who
 * decided and how. Every path that raises ApprovalDecision (the API, the bot's card) should
 * claim first and raise only when it claimed.
 */
export async function claimApprovalDecision(
  requests: RequestIndex,
  requestId: string,
  decision: ApprovalDecision,
): Promise<DecisionClaim> {
  let claim: DecisionClaim = { outcome: 'claimed' };
  await requests.applyRequesterStep(requestId, (current) => {
    if (current.decision) {
      claim = { outcome: 'already-decided', earlier: current.decision };
      return undefined;
    }
    if (current.state !== RequestState.AwaitingApproval) {
      claim = { outcome: 'not-awaiting', state: current.state };
      return undefined;
    }
    claim = { outcome: 'claimed' };
    return { decision };
  });
  return claim;
}
