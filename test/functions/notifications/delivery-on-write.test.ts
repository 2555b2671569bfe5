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
});
