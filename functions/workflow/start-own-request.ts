import { randomUUID } from 'node:crypto';
import type { DurableClient } from 'durable-functions';
import { RequestState } from '../../core/request/request-state.ts';
import type { ClaimHolderState, OpenRequestClaims } from '../store/open-request-claims.ts';
import { isFinished, type RequestIndex } from '../store/request-index.ts';
import { requestInstanceId } from './request-input.ts';
import { ownRequestId } from './scoped-request-id.ts';
import { instanceExists, startRequest, type NewRequest } from './start-request.ts';

/** A request someone makes for themselves: the service mints its id from their key. */
export type NewOwnRequest = Omit<NewRequest, 'requestId' | 'preApprovedBy' | 'replaces'> & {
  /**
   * The caller's idempotency key (the Teams form's id, a client's retry key): the same key from
   * the same person finds the same request. None: every call is a new attempt.
   */
  idempotencyKey?: string;
};

/** What asking for one's own key came to. */
export type OwnRequestStart =
  | { outcome: 'started'; requestId: string }
  /** A retry (a second click, a repeated POST with the same key) found the caller's request. */
  | { outcome: 'already-started'; requestId: string }
  /** The caller already has an open request; `holder` is its id. */
  | { outcome: 'open-request-exists'; holder: string; holderState?: RequestState };

/**
 * Starts a request a person makes for themselves, through the one path both the HTTP API and
 * the bot take. The request id is minted from the requester and their key, so nothing a caller
 * sends can name someone else's request (a stranger's key is answered exactly as an unused
 * one). One open request per person is enforced by claiming the requester's slot atomically
 * (under an ETag), so twenty concurrent calls — from the API, the bot, or both — start exactly
 * one request.
 */
export async function startOwnRequest(
  client: DurableClient,
  stores: { requests: RequestIndex; openRequests: OpenRequestClaims },
  settings: Parameters<typeof startRequest>[1],
  request: NewOwnRequest,
): Promise<OwnRequestStart> {
  const { idempotencyKey = randomUUID(), ...fields } = request;
  const requestId = ownRequestId(request.requester.id, idempotencyKey);
  if (await instanceExists(client, requestInstanceId(requestId))) {
    return { outcome: 'already-started', requestId };
  }
  const claim = await stores.openRequests.claim(request.requester.id, requestId, (holder) =>
    holderState(client, stores.requests, holder),
  );
  if (!claim.claimed) {
    const open = await stores.requests.find(claim.holder);
    return {
      outcome: 'open-request-exists',
      holder: claim.holder,
      ...(open ? { holderState: open.state } : {}),
    };
  }
  const { started } = await startRequest(client, settings, { ...fields, requestId });
  return { outcome: started ? 'started' : 'already-started', requestId };
}

/** Whether the request holding a requester's slot is still open (PinReleased counts as done). */
export async function holderState(
  client: DurableClient,
  requests: RequestIndex,
  requestId: string,
): Promise<ClaimHolderState> {
  const summary = await requests.find(requestId);
  if (summary) {
    return isFinished(summary) || summary.state === RequestState.PinReleased ? 'finished' : 'open';
  }
  return (await instanceExists(client, requestInstanceId(requestId))) ? 'open' : 'absent';
}
