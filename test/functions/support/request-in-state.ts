import type { RequestView } from '../../../core/request/request-view.ts';
import type { TestStack } from './courier-stack.ts';
import { eventually } from './eventually.ts';

/** Waits until `who` sees the request in `state` (the workflow runs behind the API). */
export function requestInState(
  stack: Pick<TestStack, 'as'>,
  requestId: string,
  state: RequestView['state'],
  who = 'admin',
): Promise<RequestView> {
  return eventually(async () => {
    const answer = await stack.as(who).get(`requests/${requestId}`);
    const current = answer.status === 200 ? answer.json<RequestView>() : undefined;
    return current?.state === state ? current : undefined;
  }, `request ${requestId} to be ${state}`);
}
