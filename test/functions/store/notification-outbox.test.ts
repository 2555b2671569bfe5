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
    const leased = await outbox.lease('req-1:2:approvers', 60_000);
    if (leased.kind !== 'leased') throw new Error(`not leased: ${leased.kind}`);
    await outbox.complete('req-1:2:approvers', leased.lease.leaseId);
    await outbox.complete('req-1:2:approvers', leased.lease.leaseId);
    await outbox.add(message);
    expect(await outbox.pending()).toEqual([]);
    expect((await outbox.sent({ requestId: 'req-1' }))[0]).toMatchObject({
      kind: 'approval-requested',
      sentAt: expect.any(String),
    });
  });

  it("reads one request's messages as a range of row keys, never a neighbour's", async () => {
    const outbox = new NotificationOutbox(await azurite.table('outboxrange'));
    const add = (requestId: string, step: number) =>
      outbox.add({
        notificationId: `${requestId}:${step}:requester`,
        requestId,
        kind: 'k',
        audience: 'requester',
        recipients: ['maja'],
        recipientIsGroup: false,
        state: 'Requested',
      });
    // Ids that prefix each other, and ones sorting just around the range's ends.
    for (const id of ['req-abc', 'req-abc-2', 'req-ab', 'req-abd', 'req-abc9']) {
      await add(id, 1);
      await add(id, 2);
    }
    expect((await outbox.pending({ requestId: 'req-abc' })).map((n) => n.notificationId)).toEqual([
      'req-abc:1:requester',
      'req-abc:2:requester',
    ]);
    expect(await outbox.pending()).toHaveLength(10);
    // The range rests on the id's form, so a message naming another request's id is refused.
    await expect(
      outbox.add({
        notificationId: 'req-other:1:requester',
        requestId: 'req-abc',
        kind: 'k',
        audience: 'requester',
        recipients: ['maja'],
        recipientIsGroup: false,
        state: 'Requested',
      }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
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

  it('leases a pending message to one deliverer at a time, until the lease lapses or is given back', async () => {
    let clock = Date.parse('2026-12-05T10:00:00Z');
    let ids = 0;
    const added: string[] = [];
    const outbox = new NotificationOutbox(await azurite.table('outbox3'), {
      now: () => clock,
      newLeaseId: () => `lease-${++ids}`,
      onAdded: (id) => {
        added.push(id);
        return Promise.reject(new Error('the queue is down'));
      },
    });
    const message = {
      notificationId: 'req-3:4:requester',
      requestId: 'req-3',
      kind: 'shipped',
      audience: 'requester' as const,
      recipients: ['aaaa-maja'],
      recipientIsGroup: false,
      state: 'Shipped',
    };
    // A nudge that fails does not fail the add: the row is written, the sweep will find it.
    await outbox.add(message);
    expect(added).toEqual(['req-3:4:requester']);
    expect(await outbox.pending()).toHaveLength(1);

    const racing = await Promise.all([
      outbox.lease('req-3:4:requester', 60_000),
      outbox.lease('req-3:4:requester', 60_000),
      outbox.lease('req-3:4:requester', 60_000),
    ]);
    expect(racing.filter((o) => o.kind === 'leased')).toHaveLength(1);
    expect(racing.filter((o) => o.kind === 'held')).toEqual([
      { kind: 'held', until: '2026-12-05T10:01:00.000Z' },
      { kind: 'held', until: '2026-12-05T10:01:00.000Z' },
    ]);
    const first = racing.find((o) => o.kind === 'leased')!;
    if (first.kind !== 'leased') throw new Error('unreachable');

    // Given back: the next deliverer need not wait.
    await outbox.release('req-3:4:requester', first.lease.leaseId);
    const second = await outbox.lease('req-3:4:requester', 60_000);
    expect(second.kind).toBe('leased');
    if (second.kind !== 'leased') throw new Error('unreachable');
    // Lapsed: taken over, and the old holder can neither complete nor release any more.
    clock += 60_001;
    const third = await outbox.lease('req-3:4:requester', 60_000);
    expect(third.kind).toBe('leased');
    await expect(outbox.complete('req-3:4:requester', second.lease.leaseId)).rejects.toMatchObject({
      code: 'LEASE_LOST',
    });
    await outbox.release('req-3:4:requester', second.lease.leaseId);
    expect(await outbox.lease('req-3:4:requester', 60_000)).toMatchObject({ kind: 'held' });
    if (third.kind !== 'leased') throw new Error('unreachable');
    await outbox.complete('req-3:4:requester', third.lease.leaseId);
    expect(await outbox.lease('req-3:4:requester', 60_000)).toEqual({ kind: 'gone' });
    expect(await outbox.sent({ requestId: 'req-3' })).toHaveLength(1);
  });
});
