import { RequestState } from '../../core/request/request-state.ts';
import { requestActivities } from './request-activities.ts';
import { approvalDecisionSchema, RequestEvent } from './request-events.ts';
import {
  DAY,
  HOUR,
  sameId,
  TIMED_OUT,
  type Flow,
  type RequestFlow,
  type RequestResult,
} from './request-flow.ts';
import { approvalRoundLimit } from './workflow-policy.ts';

/**
 * The approval stage: from the request to a queued job. Returns a result when the request ends
 * here (rejected, expired, cancelled, no approver), undefined when the job was queued.
 */
export function* approve(flow: RequestFlow): Flow<RequestResult | undefined> {
  const { input } = flow;
  if (input.preApprovedBy) {
    // The job is queued before the request reads AwaitingStation, so a station that sees
    // the state can claim the job.
    yield* flow.enqueue();
    yield* flow.record(RequestState.AwaitingStation, 'approved', {
      actor: input.preApprovedBy,
      actorKind: 'admin',
      details: { approver: input.preApprovedBy, approverSource: 'admin-bulk' },
      notify: [{ audience: 'requester', kind: 'approved' }],
    });
    return undefined;
  }

  const choice = yield* flow.call(requestActivities.ResolveApprovers, {
    requesterId: input.requester.id,
    fallbackGroupId: input.policy.fallbackApproversGroupId,
  });
  if (choice.approvers.length === 0) {
    return yield* flow.end(RequestState.Closed, 'no-approver', {
      details: {
        approverSource: choice.source,
        message:
          'Nobody can approve this request: no usable manager and no usable member in the fallback approvers group.',
      },
      notify: [
        { audience: 'requester', kind: 'no-approver' },
        { audience: 'it', kind: 'no-approver' },
      ],
    });
  }
  flow.approvers = choice.approvers;
  const started = flow.now().getTime();
  const deadline = started + input.policy.approvalExpiryDays * DAY;
  flow.status.approvalDeadline = new Date(deadline).toISOString();
  yield* flow.record(RequestState.AwaitingApproval, 'approval-requested', {
    approvers: flow.approvers,
    details: { approverSource: choice.source, deadline: flow.status.approvalDeadline },
    notify: [{ audience: 'approvers', kind: 'approval-requested' }],
  });

  const waiting = flow.inbox(RequestEvent.ApprovalDecision, RequestEvent.Cancel);
  let reminders = 0;
  let escalated = false;
  let nextReminder = started + input.policy.reminderHours * HOUR;
  for (let round = 0; round < approvalRoundLimit(input.policy); round++) {
    const wake = Math.min(nextReminder, deadline);
    const arrival = yield* flow.raceUntil(waiting, wake);
    if (arrival === TIMED_OUT) {
      if (wake >= deadline) {
        return yield* flow.end(RequestState.Closed, 'expired', {
          notify: [
            { audience: 'requester', kind: 'expired' },
            { audience: 'approvers', kind: 'expired' },
          ],
        });
      }
      nextReminder += input.policy.reminderHours * HOUR;
      // After maxReminders reminders, the next round escalates instead of reminding.
      if (reminders >= input.policy.maxReminders && !escalated) {
        escalated = true;
        yield* escalate(flow);
      } else {
        reminders += 1;
        flow.status.reminders = reminders;
        yield* flow.record(RequestState.AwaitingApproval, 'reminded', {
          details: { message: `Reminder ${reminders}` },
          notify: [{ audience: 'approvers', kind: 'reminder' }],
        });
      }
      continue;
    }
    if (arrival.event === RequestEvent.Cancel) {
      const cancelled = yield* flow.requesterActed(arrival);
      if (cancelled) {
        return yield* flow.end(RequestState.Closed, 'cancelled', {
          actor: input.requester,
          notify: [{ audience: 'approvers', kind: 'cancelled' }],
        });
      }
      continue;
    }
    const parsed = approvalDecisionSchema.safeParse(arrival.payload);
    const refusal = !parsed.success
      ? 'malformed decision'
      : sameId(parsed.data.approver.id, input.requester.id)
        ? 'a requester cannot approve their own request'
        : !flow.approvers.some((a) => sameId(a.id, parsed.data.approver.id))
          ? 'the decision came from someone who is not an approver of this request'
          : undefined;
    if (refusal || !parsed.success) {
      yield* flow.record(RequestState.AwaitingApproval, 'decision-refused', {
        ...(parsed.success ? { actor: parsed.data.approver } : {}),
        details: { reason: 'not-allowed', message: refusal ?? 'malformed decision' },
      });
      continue;
    }
    const { approver, approved, comment } = parsed.data;
    flow.status.decidedBy = approver.displayName ?? approver.id;
    if (!approved) {
      return yield* flow.end(RequestState.Closed, 'rejected', {
        actor: approver,
        details: { approver, ...(comment ? { message: comment } : {}) },
        notify: [{ audience: 'requester', kind: 'rejected' }],
      });
    }
    yield* flow.enqueue();
    yield* flow.record(RequestState.AwaitingStation, 'approved', {
      actor: approver,
      details: { approver, ...(comment ? { message: comment } : {}) },
      notify: [{ audience: 'requester', kind: 'approved' }],
    });
    return undefined;
  }
  // Only reachable if something keeps raising refused decisions; expire rather than loop on.
  return yield* flow.end(RequestState.Closed, 'expired', {
    details: { message: 'Too many refused decisions before the deadline.' },
    notify: [{ audience: 'requester', kind: 'expired' }],
  });
}

/** After the last reminder: the fallback group joins the approvers. */
function* escalate(flow: RequestFlow): Flow<void> {
  const { input } = flow;
  const fallback = yield* flow.call(requestActivities.FallbackApprovers, {
    requesterId: input.requester.id,
    fallbackGroupId: input.policy.fallbackApproversGroupId,
  });
  const known = new Set(flow.approvers.map((a) => a.id.toLowerCase()));
  flow.approvers = [...flow.approvers, ...fallback.filter((a) => !known.has(a.id.toLowerCase()))];
  flow.status.escalated = true;
  yield* flow.record(RequestState.AwaitingApproval, 'escalated', {
    approvers: flow.approvers,
    details: { approverSource: 'escalation' },
    notify: [{ audience: 'approvers', kind: 'escalated' }],
  });
}
