import { RequestState } from '../../../core/request/request-state.ts';
import type { CourierServices } from '../../courier-services.ts';
import type { ActorKind, AuditEntry } from '../../store/audit-record.ts';
import type { SummaryUpdate } from '../../store/request-index.ts';
import type { RecordInput } from '../request-activities.ts';
import { requestInstanceId, requestJobId } from '../request-input.ts';

/** Events after which the request's Graph credential no longer exists. */
const CREDENTIAL_GONE = new Set(['station-lost', 'key-failed', 'revoked']);

/**
 * Writes one transition: the request index (for the status API), the audit trail, and the
 * messages people are owed. Each write is idempotent by request and step, so the activity can
 * run again after a crash without doubling anything.
 */
export async function recordTransition(
  input: RecordInput,
  services: Pick<CourierServices, 'requests' | 'audit' | 'outbox' | 'settings'>,
): Promise<void> {
  const details = input.details ?? {};
  const update: SummaryUpdate = {
    state: input.state,
    updatedAt: input.at,
    ...(input.approvers ? { approvers: input.approvers } : {}),
    ...(details.approverSource ? { approverSource: details.approverSource } : {}),
    ...(input.state === RequestState.AwaitingApproval && details.deadline
      ? { approvalDeadline: details.deadline }
      : {}),
    ...(details.approver ? { decidedBy: details.approver } : {}),
    ...(details.methodId && !CREDENTIAL_GONE.has(input.event)
      ? { methodId: details.methodId }
      : {}),
    ...(input.event === 'registered'
      ? {
          ...(details.credentialId ? { credentialId: details.credentialId } : {}),
          ...(details.aaguid ? { aaguid: details.aaguid } : {}),
          ...(details.serial === undefined ? {} : { serial: details.serial }),
        }
      : {}),
    ...(details.methodId && CREDENTIAL_GONE.has(input.event) && input.state !== RequestState.Revoked
      ? { methodId: undefined, credentialId: undefined, serial: undefined, aaguid: undefined }
      : {}),
    ...(details.trackingNumber
      ? { trackingNumber: details.trackingNumber, carrier: details.carrier }
      : {}),
    ...(input.state === RequestState.Shipped && details.deadline
      ? { deliveryDeadline: details.deadline }
      : {}),
    ...(isEnd(input.state)
      ? {
          outcome: details.reason ?? input.event,
          ...(details.message ? { outcomeMessage: details.message } : {}),
        }
      : {}),
  };
  const initial = input.request
    ? {
        requestId: input.requestId,
        instanceId: requestInstanceId(input.requestId),
        jobId: input.request.jobId,
        requester: input.request.requester,
        reason: input.request.reason,
        keyClass: input.request.keyClass,
        requestedAt: input.request.requestedAt,
        ...(input.request.note ? { note: input.request.note } : {}),
        ...(input.request.replaces ? { replaces: input.request.replaces } : {}),
      }
    : undefined;
  const summary = await services.requests.applyStep(input.requestId, input.step, update, initial);

  const entry: AuditEntry = {
    recordId: `${input.requestId}:${String(input.step).padStart(4, '0')}`,
    requestId: input.requestId,
    at: input.at,
    actor: input.actor
      ? {
          kind: input.actorKind ?? 'system',
          id: input.actor.id,
          ...(input.actor.displayName ? { displayName: input.actor.displayName } : {}),
        }
      : { kind: 'system', id: 'courier-workflow' },
    ...(input.from ? { from: input.from } : {}),
    to: input.state,
    event: input.event,
    jobId: requestJobId(input.requestId),
    ...(details.approver ? { approver: person(details.approver) } : {}),
    ...(details.stationId ? { stationId: details.stationId } : {}),
    ...(details.operator ? { operator: person(details.operator) } : {}),
    ...(details.serial === undefined ? {} : { keySerial: details.serial }),
    ...(details.aaguid ? { aaguid: details.aaguid } : {}),
    ...(details.credentialId ? { credentialId: details.credentialId } : {}),
    ...(details.methodId ? { graphMethodId: details.methodId } : {}),
    ...(details.graphRequestId ? { graphRequestId: details.graphRequestId } : {}),
    ...(details.carrier ? { carrier: details.carrier } : {}),
    ...(details.trackingNumber ? { trackingNumber: details.trackingNumber } : {}),
    ...(details.reason ? { reason: details.reason } : {}),
    ...(details.message ? { detail: details.message } : {}),
  };
  await services.audit.append(entry);

  for (const notice of input.notify ?? []) {
    const recipients =
      notice.audience === 'requester'
        ? [summary.requester.id]
        : notice.audience === 'approvers'
          ? summary.approvers.map((a) => a.id)
          : [services.settings.itGroupId];
    if (recipients.length === 0) continue;
    await services.outbox.add({
      notificationId: `${input.requestId}:${input.step}:${notice.audience}`,
      requestId: input.requestId,
      kind: notice.kind,
      audience: notice.audience,
      recipients,
      recipientIsGroup: notice.audience === 'it',
      state: input.state,
    });
  }
}

function isEnd(state: RequestState): boolean {
  return (
    state === RequestState.Completed ||
    state === RequestState.Closed ||
    state === RequestState.Revoked ||
    state === RequestState.Failed
  );
}

function person(actor: { id: string; displayName?: string }) {
  return { id: actor.id, ...(actor.displayName ? { displayName: actor.displayName } : {}) };
}

export type { ActorKind };
