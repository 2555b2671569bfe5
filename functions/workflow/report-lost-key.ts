import type { DurableClient } from 'durable-functions';
import { TERMINAL_STATES } from '../../core/request/request-state.ts';
import type { RequestSummary } from '../store/request-index.ts';
import { LOST_KEY_ORCHESTRATION, lostKeyInstanceId } from './lost-key-orchestration.ts';
import type { Actor } from './request-input.ts';
import { RequestEvent } from './request-events.ts';
import { instanceExists } from './start-request.ts';

/**
 * The requester reports the request's key lost: a running request's orchestration is told (it
 * deletes the credential); after it ended, a lost-key orchestration deletes it. Repeating it is
 * harmless. Used by the HTTP API and the bot.
 */
export async function reportLostKey(
  client: DurableClient,
  summary: RequestSummary,
  by: Actor,
): Promise<void> {
  if (!TERMINAL_STATES.has(summary.state)) {
    await client.raiseEvent(summary.instanceId, RequestEvent.LostKey, {
      by,
      at: new Date().toISOString(),
    });
    return;
  }
  if (!summary.methodId) return;
  const instanceId = lostKeyInstanceId(summary.requestId);
  if (await instanceExists(client, instanceId)) return;
  await client.startNew(LOST_KEY_ORCHESTRATION, {
    instanceId,
    input: {
      requestId: summary.requestId,
      requester: by,
      methodId: summary.methodId,
      step: summary.step + 1,
    },
  });
}
