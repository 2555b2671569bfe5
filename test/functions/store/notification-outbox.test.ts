import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotificationOutbox } from '../../../functions/store/notification-outbox.ts';
import { startAzurite, type AzuriteTables } from '../../support/azurite.ts';

let azurite: AzuriteTables;
beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => azurite.stop());

describe('the notification outbox', () => {
  it('adds each message once, even when the activity runs again after it was sent', async () => {
    const outbox = new NotificationOutbox(await azurite.table('outbox1'));
    const message = {
      notificationId: 'req-1:2:approvers',
      requestId: 'req-1',
      kind: 'approval-requested',
      audience: 'approvers' as const,
      recipients: ['bbbb-lars'],
      recipientIsGroup: false,
      state: 'AwaitingApproval',
    };
    await outbox.add(message);
    await outbox.add(message);
    expect((await outbox.pending()).map((n) => n.notificationId)).toEqual(['req-1:2:approvers']);
    await outbox.markSent('req-1:2:approvers');
    await outbox.add(message);
    expect(await outbox.pending()).toEqual([]);
    expect((await outbox.sent({ requestId: 'req-1' }))[0]).toMatchObject({
      kind: 'approval-requested',
      sentAt: expect.any(String),
    });
  });

  it('refuses a message with no recipients list or an unknown audience', async () => {
    const outbox = new NotificationOutbox(await azurite.table('outbox2'));
    await expect(
      outbox.add({
        notificationId: 'x',
        requestId: 'r',
        kind: 'k',
        audience: 'everyone' as 'it',
        recipients: [],
        recipientIsGroup: false,
        state: 'Requested',
      }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});
