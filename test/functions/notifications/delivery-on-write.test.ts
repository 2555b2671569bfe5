import { QueueServiceClient, type StoragePipelineOptions } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOTIFICATION_QUEUE } from '../../../functions/notifications/notification-queue.ts';
import type { HostLogRecord } from '../../../local/host/host-log.ts';
import { startTestStack, type TestStack } from '../support/courier-stack.ts';
import { eventually } from '../support/eventually.ts';

const logs: HostLogRecord[] = [];
let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ log: (record) => logs.push(record) });
}, 60_000);
afterAll(async () => stack?.stop());

describe('notifications on the local stack', () => {
  it('are delivered on write, through the queue trigger, leaving the queue and its poison queue empty', async () => {
    expect(stack.host.functions).toContainEqual({
      name: 'courier-notification-delivery',
      kind: 'queue',
      trigger: 'queueTrigger',
    });
    const created = await stack.as('employee').post('requests', { reason: 'backup' });
    expect(created.status, created.text).toBe(202);
    // Lars's approval card arrives in Teams, long before the 15-minute sweep could run.
    await eventually(
      () =>
        Promise.resolve(
          stack.teams
            .as('manager')
            .chat()
            .find(
              (m) => m.card && /Security key request from Maja Lind/.test(JSON.stringify(m.card)),
            ),
        ),
      'the approval card',
      40_000,
    );
    const deliveries = logs.filter(
      (l) =>
        l.functionName === 'courier-notification-delivery' &&
        /notification-delivery/.test(l.message),
    );
    expect(deliveries.some((l) => /"outcome":"delivered"/.test(l.message))).toBe(true);

    // Nothing left behind: the nudges were deleted once handled, none was poisoned.
    const service = QueueServiceClient.fromConnectionString(stack.settings.COURIER_QUEUES!, {
      tlsOptions: { ca: stack.host.caPem },
    } as StoragePipelineOptions);
    const left = async (name: string) => {
      const queue = service.getQueueClient(name);
      if (!(await queue.exists())) return 0;
      return (await queue.getProperties()).approximateMessagesCount ?? 0;
    };
    await eventually(
      async () => ((await left(NOTIFICATION_QUEUE)) === 0 ? true : undefined),
      'the queue to empty',
      20_000,
    );
    expect(await left(`${NOTIFICATION_QUEUE}-poison`)).toBe(0);
  }, 90_000);

  it('are delayed when Teams refuses them, never dropped: the nudge is queued again for the end of the back-off', async () => {
    const cardFromOmar = () =>
      stack.teams
        .as('manager')
        .chat()
        .find(
          (m) => m.card && /Security key request from Omar Haddad/.test(JSON.stringify(m.card)),
        );
    stack.teams.refuseBotMessages({ status: 403, code: 'BotDisabledByAdmin' });
    const created = await stack.as('operator').post('requests', { reason: 'backup' });
    expect(created.status, created.text).toBe(202);
    const { requestId } = created.json<{ requestId: string }>();
    const refused = await eventually(
      () =>
        Promise.resolve(
          logs.find(
            (l) =>
              l.functionName === 'courier-notification-delivery' &&
              /notification-not-delivered/.test(l.message) &&
              l.message.includes(`${requestId}:`) &&
              l.message.includes(':approvers'),
          ),
        ),
      'a refused delivery',
      30_000,
    );
    const refusedAt = Date.now();
    expect(cardFromOmar()).toBeUndefined();
    // The delivery itself went through (no throw): the message is not the host's to retry.
    expect(
      logs.some(
        (l) =>
          l.functionName === 'courier-notification-delivery' &&
          /"outcome":"failed"/.test(l.message) &&
          l.message.includes(`${requestId}:`),
      ),
    ).toBe(true);
    expect(refused.message).toMatch(/"attempts":1/);
    stack.teams.refuseBotMessages(undefined);
    await eventually(() => Promise.resolve(cardFromOmar()), 'the card after the back-off', 40_000);
    // Not before the back-off (10 s, less at most a quarter of jitter) was over.
    expect(Date.now() - refusedAt).toBeGreaterThanOrEqual(5_000);
    expect(
      logs.filter(
        (l) =>
          l.functionName === 'courier-notification-delivery' &&
          /"outcome":"delivered"/.test(l.message) &&
          l.message.includes(`${requestId}:`) &&
          l.message.includes(':approvers'),
      ),
    ).toHaveLength(1);
  }, 90_000);
});
