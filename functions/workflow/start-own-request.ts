import type { DurableClient } from 'durable-functions';
import { RequestState } from '../../core/request/request-state.ts';
import type { ClaimHolderState, OpenRequestClaims } from '../store/open-request-claims.ts';
import { isFinished, type RequestIndex } from '../store/request-index.ts';
import { requestInstanceId } from './request-input.ts';
import { sameId } from './request-flow.ts';
import { instanceExists, startRequest, type NewRequest } from './start-request.ts';

/** What asking for one's own key came to. */
export type OwnRequestStart =
  | { outcome: 'started' }
  /** A retry (a second click, a repeated POST) found the caller's own request. */
  | { outcome: 'already-started' }
  /** The caller already has an open request; `holder` is its id. */
  | { outcome: 'open-request-exists'; holder: string; holderState?: RequestState }
  /** The id is taken by someone else's request: answer it as an unknown id, confirm nothing. */
  | { outcome: 'not-found' };

/**
 * Starts a request a person makes for themselves, through the one path both the HTTP API and
 * the bot take. One open request per person is enforced by claiming the requester's slot
 * atomically (under an ETag), so twenty concurrent calls — from the API, the bot, or both —
 * start exactly one request.
 */
export async function startOwnRequest(
  client: DurableClient,
  stores: { requests: RequestIndex; openRequests: OpenRequestClaims },
  settings: Parameters<typeof startRequest>[1],
  request: NewRequest,
): Promise<OwnRequestStart> {
  const { requestId, requester } = request;
  if (await instanceExists(client, requestInstanceId(requestId))) {
    const summary = await stores.requests.find(requestId);
    const mine = summary
      ? sameId(summary.requester.id, requester.id)
      : (await stores.openRequests.holder(requester.id)) === requestId;
    return mine ? { outcome: 'already-started' } : { outcome: 'not-found' };
  }
  const claim = await stores.openRequests.claim(requester.id, requestId, (holder) =>
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
  const { started } = await startRequest(client, settings, request);
  return { outcome: started ? 'started' : 'already-started' };
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
