import type { DurableClient } from 'durable-functions';
import type { KeyClass } from '../../core/request/key-class.ts';
import type { RequestReason } from '../../core/request/request-state.ts';
import type { CourierSettings } from '../config/courier-settings.ts';
import { REQUEST_ORCHESTRATION } from './request-orchestration.ts';
import {
  requestInputSchema,
  requestInstanceId,
  type Actor,
  type RequestInput,
} from './request-input.ts';

export interface NewRequest {
  requestId: string;
  requester: Actor;
  reason: RequestReason;
  note?: string;
  keyClass: KeyClass;
  shippingAddress?: string;
  preApprovedBy?: Actor;
  replaces?: string;
}

/**
 * Starts a request's orchestration, or finds the one already started for the same request id:
 * the instance id comes from the request id, and an instance that exists (running or finished)
 * is never replaced. `started` says which happened.
 */
export async function startRequest(
  client: DurableClient,
  settings: Pick<CourierSettings, 'policy'>,
  request: NewRequest,
  now: Date = new Date(),
): Promise<{ instanceId: string; started: boolean }> {
  const instanceId = requestInstanceId(request.requestId);
  if (await instanceExists(client, instanceId)) return { instanceId, started: false };
  const input: RequestInput = requestInputSchema.parse({
    ...request,
    requestedAt: now.toISOString(),
    policy: settings.policy,
  });
  try {
    await client.startNew(REQUEST_ORCHESTRATION, { instanceId, input });
  } catch (error) {
    // Two starts racing: the other one won, which is just as good.
    if (await instanceExists(client, instanceId)) return { instanceId, started: false };
    throw error;
  }
  return { instanceId, started: true };
}

/** True when the durable backend knows the instance (the client answers 404 by throwing). */
export async function instanceExists(client: DurableClient, instanceId: string): Promise<boolean> {
  try {
    await client.getStatus(instanceId, { showInput: false });
    return true;
  } catch (error) {
    if (error instanceof Error && /HTTP 404/.test(error.message)) return false;
    throw error;
  }
}
