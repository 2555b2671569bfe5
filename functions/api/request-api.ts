import type { HttpResponseInit } from '@azure/functions';
import * as df from 'durable-functions';
import { z } from 'zod';
import { openPin } from '../../core/pin-envelope/pin-envelope.ts';
import { RequestReason, RequestState } from '../../core/request/request-state.ts';
import { RequestAction } from '../../core/request/request-view.ts';
import type { Principal } from '../auth/principal.ts';
import type { ApprovalDecision } from '../store/approval-decision-claim.ts';
import { auditRefusal } from '../store/refusal-audit.ts';
import { confirmDeliveryStep } from '../store/delivery-confirmation.ts';
import { reportLostKey } from '../workflow/report-lost-key.ts';
import type { RequestSummary } from '../store/request-index.ts';
import { RequestEvent } from '../workflow/request-events.ts';
import { startRequest } from '../workflow/start-request.ts';
import { holderState, startOwnRequest } from '../workflow/start-own-request.ts';
import { decideApproval } from '../workflow/decide-approval.ts';
import { ApiError } from './api-error.ts';
import {
  ADMIN_ROLE,
  json,
  readBody,
  registerRoutes,
  USER_SCOPE,
  validate,
  type ApiCall,
} from './http-api.ts';
import { availableActions, toRequestView } from './to-request-view.ts';

const access = { scope: USER_SCOPE };
const requestIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9-]{8,64}$/, 'request ids are 8-64 letters, digits and dashes');

const newRequestSchema = z.strictObject({
  /**
   * The client's idempotency key: the same key from the same person finds the same request
   * (a retried POST). The service mints the request id from it; it is never the id itself.
   */
  idempotencyKey: z
    .string()
    .regex(/^[A-Za-z0-9._~-]{8,64}$/, 'an idempotency key is 8-64 letters, digits and . _ ~ -')
    .optional(),
  reason: z.enum(Object.values(RequestReason) as [RequestReason, ...RequestReason[]]),
  note: z.string().max(500).optional(),
  keyClass: z.string().min(1).max(80).optional(),
  shippingAddress: z.string().min(1).max(500).optional(),
});

const decisionSchema = z.strictObject({
  approved: z.boolean(),
  comment: z.string().max(500).optional(),
});

const deliverySchema = z.strictObject({
  /** The last digits of the serial printed on the key (at least 4). */
  serialLastDigits: z.string().regex(/^\d{4,12}$/, 'enter the last 4 or more digits of the serial'),
});

const lostSchema = z.strictObject({
  /** Start a replacement request at once. */
  replace: z.boolean().optional(),
});

function actorOf(principal: Principal) {
  return {
    id: principal.userId,
    ...(principal.name ? { displayName: principal.name } : {}),
    ...(principal.userPrincipalName ? { userPrincipalName: principal.userPrincipalName } : {}),
  };
}

function same(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** The request, if the caller may see it (requester, one of its approvers, or an admin). */
async function visibleRequest(call: ApiCall): Promise<RequestSummary> {
  const id = validate(requestIdSchema, call.request.params.requestId, 'requestId');
  const summary = await call.services.requests.find(id);
  const caller = call.principal.userId;
  const allowed =
    summary &&
    (same(summary.requester.id, caller) ||
      summary.approvers.some((a) => same(a.id, caller)) ||
      call.principal.roles.includes(ADMIN_ROLE));
  // The same answer for "absent" and "not yours": ids are not confirmed to strangers.
  if (!summary || !allowed) {
    throw new ApiError(404, 'REQUEST_NOT_FOUND', `No request ${id} that you can see.`);
  }
  return summary;
}

function requireAction(call: ApiCall, summary: RequestSummary, action: RequestAction): void {
  if (availableActions(summary, call.principal.userId).includes(action)) return;
  const mine = same(summary.requester.id, call.principal.userId);
  throw new ApiError(
    mine || action === RequestAction.Approve ? 409 : 403,
    'ACTION_NOT_AVAILABLE',
    `You cannot ${action.replace('-', ' ')} request ${summary.requestId} now: it is ${summary.state}.`,
  );
}

async function raise(call: ApiCall, summary: RequestSummary, event: string, data: unknown) {
  await df.getClient(call.context).raiseEvent(summary.instanceId, event, data);
}

/** POST requests: the caller asks for a key for themselves. */
async function createRequest(call: ApiCall): Promise<HttpResponseInit> {
  const body = await readBody(call.request, newRequestSchema);
  const { services, principal } = call;
  const settings = services.settings;
  const className = body.keyClass ?? settings.defaultKeyClass;
  const keyClass = settings.keyClasses.find((k) => k.name === className);
  if (!keyClass) {
    throw new ApiError(
      400,
      'UNKNOWN_KEY_CLASS',
      `There is no key class "${className}"; choose one of ${settings.keyClasses.map((k) => k.name).join(', ')}.`,
    );
  }
  // One path for the API and the bot: the request id is minted from the caller and their key
  // (someone else's key or id is just a new key here, so nothing is confirmed to strangers), and
  // the requester's one open slot is claimed atomically, so concurrent calls cannot each see
  // "none open" and each start.
  const result = await startOwnRequest(df.getClient(call.context), services, settings, {
    ...(body.idempotencyKey ? { idempotencyKey: body.idempotencyKey } : {}),
    requester: actorOf(principal),
    reason: body.reason,
    keyClass,
    ...(body.note ? { note: body.note } : {}),
    ...(body.shippingAddress ? { shippingAddress: body.shippingAddress } : {}),
  });
  switch (result.outcome) {
    case 'open-request-exists':
      // A second key while one is on its way is a mistake, or a lost key, which is reported
      // (and replaced) on the open request itself.
      throw new ApiError(
        409,
        'OPEN_REQUEST_EXISTS',
        `You already have request ${result.holder}${result.holderState ? ` (${result.holderState})` : ''}; cancel it, or report its key lost, before asking for another.`,
      );
    case 'already-started':
    case 'started': {
      const { requestId } = result;
      const started = result.outcome === 'started';
      call.log.info('request-started', { requestId, started });
      return json(
        started ? 202 : 200,
        { requestId, started },
        { location: `/api/requests/${requestId}` },
      );
    }
  }
}

/** GET requests/mine: the caller's own requests, newest first. */
async function myRequests(call: ApiCall): Promise<HttpResponseInit> {
  const mine = await call.services.requests.listForRequester(call.principal.userId);
  return json(200, { requests: mine.map((s) => toRequestView(s, call.principal.userId)) });
}

/** GET approvals/pending: requests waiting for the caller's decision. */
async function pendingApprovals(call: ApiCall): Promise<HttpResponseInit> {
  const pending = await call.services.requests.listPendingFor(call.principal.userId);
  return json(200, { requests: pending.map((s) => toRequestView(s, call.principal.userId)) });
}

/** GET requests/{requestId} */
async function getRequest(call: ApiCall): Promise<HttpResponseInit> {
  return json(200, toRequestView(await visibleRequest(call), call.principal.userId));
}

/** POST requests/{requestId}/decision: an approver approves or rejects. */
async function decide(call: ApiCall): Promise<HttpResponseInit> {
  const body = await readBody(call.request, decisionSchema);
  const summary = await visibleRequest(call);
  if (same(summary.requester.id, call.principal.userId)) {
    throw new ApiError(403, 'SELF_APPROVAL', 'You cannot approve or reject your own request.');
  }
  // Told first, whatever the state now: a second decision learns who decided and how.
  if (summary.decision) throw alreadyDecided(call, summary.requestId, summary.decision);
  requireAction(call, summary, RequestAction.Approve);
  const decision = {
    by: actorOf(call.principal),
    approved: body.approved,
    at: new Date().toISOString(),
  };
  // Taken once, under the summary's ETag: a second decision (another approver, or a double
  // click) is told who decided and how, instead of a 202 that the workflow would then ignore.
  const claim = await decideApproval(
    df.getClient(call.context),
    call.services.requests,
    summary,
    decision,
    body.comment,
  );
  if (claim.outcome === 'already-decided') {
    throw alreadyDecided(call, summary.requestId, claim.earlier);
  }
  if (claim.outcome === 'not-awaiting') {
    throw new ApiError(
      409,
      'ACTION_NOT_AVAILABLE',
      `You cannot approve request ${summary.requestId} now: it is ${claim.state}.`,
    );
  }
  return json(202, {
    requestId: summary.requestId,
    decision: body.approved ? 'approved' : 'rejected',
  });
}

function alreadyDecided(call: ApiCall, requestId: string, earlier: ApprovalDecision): ApiError {
  const who = same(earlier.by.id, call.principal.userId)
    ? 'You'
    : (earlier.by.displayName ?? earlier.by.userPrincipalName ?? earlier.by.id);
  return new ApiError(
    409,
    'ALREADY_DECIDED',
    `${who} already ${earlier.approved ? 'approved' : 'rejected'} request ${requestId} at ${earlier.at}.`,
  );
}

/** POST requests/{requestId}/cancel: the requester withdraws (a registered key is revoked). */
async function cancel(call: ApiCall): Promise<HttpResponseInit> {
  const summary = await visibleRequest(call);
  requireAction(call, summary, RequestAction.Cancel);
  await raise(call, summary, RequestEvent.Cancel, {
    by: actorOf(call.principal),
    at: new Date().toISOString(),
  });
  return json(202, { requestId: summary.requestId, cancelling: true });
}

/**
 * POST requests/{requestId}/delivery: the requester has the key in hand, and proves it with the
 * last digits of its serial. Only then can the PIN be revealed.
 */
async function confirmDelivery(call: ApiCall): Promise<HttpResponseInit> {
  const body = await readBody(call.request, deliverySchema);
  const summary = await visibleRequest(call);
  if (summary.deliveryConfirmedAt && same(summary.requester.id, call.principal.userId)) {
    // A repeat, perhaps after the first call failed to reach the workflow: tell it again (the
    // workflow takes the first and leaves the rest unread).
    if (summary.state === RequestState.Shipped) {
      await raise(call, summary, RequestEvent.DeliveryConfirmed, {
        by: actorOf(call.principal),
        at: summary.deliveryConfirmedAt,
      });
    }
    return json(200, { requestId: summary.requestId, deliveryConfirmed: true });
  }
  requireAction(call, summary, RequestAction.ConfirmDelivery);
  const step = await confirmDeliveryStep(
    call.services.requests,
    summary.requestId,
    body.serialLastDigits,
  );
  if (step.kind === 'locked') {
    throw new ApiError(
      423,
      'DELIVERY_LOCKED',
      'Too many wrong serial numbers. Contact IT: they can check the key you received.',
    );
  }
  if (step.kind === 'mismatch') {
    const left = step.triesLeft;
    throw new ApiError(
      422,
      'SERIAL_MISMATCH',
      `Those digits do not match the serial of the key sent to you. Check the label on the key (${left} ${left === 1 ? 'try' : 'tries'} left).`,
    );
  }
  if (step.now) {
    await raise(call, summary, RequestEvent.DeliveryConfirmed, {
      by: actorOf(call.principal),
      at: step.at,
    });
  }
  return json(200, { requestId: summary.requestId, deliveryConfirmed: true });
}

/**
 * POST requests/{requestId}/pin: the PIN, once, to the requester, after delivery was confirmed.
 * The envelope is opened and destroyed in the same step; a second call gets 410.
 */
async function revealPin(call: ApiCall): Promise<HttpResponseInit> {
  const requested = await call.services.requests.find(
    validate(requestIdSchema, call.request.params.requestId, 'requestId'),
  );
  const mine = requested && same(requested.requester.id, call.principal.userId);
  if (requested && (!mine || requested.pinReleasedAt)) {
    // Refused below (not yours; shown once already): each attempt goes on the record.
    await auditRefusal(call.services.audit, {
      requestId: requested.requestId,
      state: requested.state,
      actor: actorOf(call.principal),
      actorKind: mine
        ? 'requester'
        : call.principal.roles.includes(ADMIN_ROLE)
          ? 'admin'
          : requested.approvers.some((a) => same(a.id, call.principal.userId))
            ? 'approver'
            : 'requester',
      reason: mine ? 'pin-already-revealed' : 'pin-not-requester',
      detail: mine
        ? 'A second PIN reveal was refused: the PIN is shown once.'
        : 'A PIN reveal by someone other than the requester was refused.',
    });
  }
  const summary = await visibleRequest(call);
  if (summary.pinReleasedAt && same(summary.requester.id, call.principal.userId)) {
    if (summary.state === RequestState.Shipped) {
      // The release reached the requester but perhaps not the workflow: tell it again.
      await raise(call, summary, RequestEvent.PinReleased, {
        by: actorOf(call.principal),
        at: summary.pinReleasedAt,
      });
    }
    throw new ApiError(
      410,
      'ALREADY_RELEASED',
      'The PIN was shown once already and is gone from the service. If you no longer have it, report the key lost to get a new one.',
    );
  }
  requireAction(call, summary, RequestAction.RevealPin);
  const { services } = call;
  const content = await services.pins.takeForRelease(summary.requestId, (envelope) =>
    openPin(envelope, summary.jobId, (kid, ciphertext) => services.pinKey.decrypt(kid, ciphertext)),
  );
  const now = new Date().toISOString();
  // From here the ciphertext is gone: the PIN goes to the requester even if recording the
  // release fails. A later call (410) or status read repeats what did not get through.
  try {
    await services.requests.applyRequesterStep(summary.requestId, () => ({ pinReleasedAt: now }));
    await raise(call, summary, RequestEvent.PinReleased, { by: actorOf(call.principal), at: now });
  } catch (error) {
    call.log.error('pin-release-not-recorded', { requestId: summary.requestId }, error);
  }
  // Logged without the PIN: the logger drops any field named pin, and none is passed.
  call.log.info('pin-released', { requestId: summary.requestId });
  return json(200, {
    requestId: summary.requestId,
    pin: content.pin,
    mustChangeAtFirstUse: true,
  });
}

/** POST requests/{requestId}/lost: the key is lost; its credential is deleted at once. */
async function reportLost(call: ApiCall): Promise<HttpResponseInit> {
  const body = await readBody(call.request, lostSchema);
  const summary = await visibleRequest(call);
  requireAction(call, summary, RequestAction.ReportLost);
  const client = df.getClient(call.context);
  const by = actorOf(call.principal);
  await reportLostKey(client, summary, by);
  let replacement: string | undefined;
  if (body.replace) {
    replacement = `${summary.requestId.slice(0, 27)}-r${summary.step}`.slice(0, 64);
    // The replacement takes the requester's one open slot from the lost key's request.
    const replacing = summary.requestId;
    const claim = await call.services.openRequests.claim(by.id, replacement, (holder) =>
      holder === replacing
        ? Promise.resolve('finished' as const)
        : holderState(df.getClient(call.context), call.services.requests, holder),
    );
    if (!claim.claimed) {
      throw new ApiError(
        409,
        'OPEN_REQUEST_EXISTS',
        `You already have request ${claim.holder} open; the lost key was reported, but no replacement was started.`,
      );
    }
    await startRequest(client, call.services.settings, {
      requestId: replacement,
      requester: by,
      reason: RequestReason.Lost,
      keyClass: summary.keyClass,
      replaces: summary.requestId,
    });
  }
  return json(202, {
    requestId: summary.requestId,
    revoking: true,
    ...(replacement ? { replacementRequestId: replacement } : {}),
  });
}

/** Registers the requester's and approvers' API (the status API for the Teams parts). */
export function registerRequestApi(): void {
  registerRoutes(access, [
    ['requests-create', 'POST', 'requests', createRequest],
    ['requests-mine', 'GET', 'requests/mine', myRequests],
    ['approvals-pending', 'GET', 'approvals/pending', pendingApprovals],
    ['requests-get', 'GET', 'requests/{requestId}', getRequest],
    ['requests-decision', 'POST', 'requests/{requestId}/decision', decide],
    ['requests-cancel', 'POST', 'requests/{requestId}/cancel', cancel],
    ['requests-delivery', 'POST', 'requests/{requestId}/delivery', confirmDelivery],
    ['requests-pin', 'POST', 'requests/{requestId}/pin', revealPin],
    ['requests-lost', 'POST', 'requests/{requestId}/lost', reportLost],
  ]);
}
