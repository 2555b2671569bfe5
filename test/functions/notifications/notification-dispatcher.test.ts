import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RequestReason, RequestState } from '../../../core/request/request-state.ts';
import type { AdaptiveCard } from '../../../functions/bot/cards/adaptive-card.ts';
import { ApprovalCardMessages } from '../../../functions/bot/store/approval-card-messages.ts';
import { BotState } from '../../../functions/bot/store/bot-state.ts';
import { ConversationReferences } from '../../../functions/bot/store/conversation-references.ts';
import { courierLogger } from '../../../functions/log/courier-logger.ts';
import type { Messenger } from '../../../functions/notifications/messenger.ts';
import {
  DELIVERY_LEASE_MS,
  NotificationDispatcher,
} from '../../../functions/notifications/notification-dispatcher.ts';
import type { NotificationNudges } from '../../../functions/notifications/notification-queue.ts';
import { AuditTrail } from '../../../functions/store/audit-trail.ts';
import { NotificationOutbox } from '../../../functions/store/notification-outbox.ts';
import { RequestIndex } from '../../../functions/store/request-index.ts';
import { startAzurite, type AzuriteTables } from '../../support/azurite.ts';

const MAJA = { id: '74d50326-ba14-4319-ac27-15d63260d1ba', displayName: 'Maja Lind' };
const LARS = { id: '78e3ba99-1288-4b2f-8e04-b1cb1e31e884', displayName: 'Lars Eriksson' };
const SOFIA = { id: 'c923dd24-6c5f-4302-8cce-a1f10badc93c', displayName: 'Sofia Marin' };

let azurite: AzuriteTables;
let tables = 0;
beforeAll(async () => {
  azurite = await startAzurite();
}, 30_000);
afterAll(async () => azurite?.stop());

/** Teams as the dispatcher sees it: records every send and update; can be made to fail. */
class RecordingMessenger implements Messenger {
  readonly sent: { chat: string; card?: AdaptiveCard; text?: string; replyToId?: string }[] = [];
  readonly updated: { chat: string; activityId: string; card: AdaptiveCard }[] = [];
  failFor = new Set<string>();
  /** While set, every send waits for it: a delivery caught in the middle. */
  gate: Promise<void> | undefined;

  async send(
    reference: Record<string, unknown>,
    message: { card: AdaptiveCard } | { text: string },
    replyToId?: string,
  ) {
    const chat = (reference.conversation as { id: string }).id;
    if (this.gate) await this.gate;
    if (this.failFor.has(chat)) throw new Error(`Teams answered 503 for ${chat}`);
    this.sent.push({ chat, ...message, ...(replyToId ? { replyToId } : {}) });
    return `activity-${this.sent.length}`;
  }

  update(reference: Record<string, unknown>, activityId: string, card: AdaptiveCard) {
    this.updated.push({ chat: (reference.conversation as { id: string }).id, activityId, card });
    return Promise.resolve();
  }
}

/** The notification queue as the dispatcher sees it: records each nudge; can be made to fail. */
class RecordingNudges implements NotificationNudges {
  readonly nudged: { notificationId: string; delayMs: number }[] = [];
  failing = false;

  nudge(notificationId: string, delayMs = 0) {
    if (this.failing) return Promise.reject(new Error('The queue service answered 503'));
    this.nudged.push({ notificationId, delayMs });
    return Promise.resolve();
  }
}

async function setup() {
  const n = ++tables;
  let clock = Date.parse('2026-12-05T10:00:00Z');
  const state = new BotState(await azurite.table(`Bot${n}`));
  const references = new ConversationReferences(state);
  const outbox = new NotificationOutbox(await azurite.table(`Outbox${n}`), { now: () => clock });
  const requests = new RequestIndex(await azurite.table(`Requests${n}`));
  const audit = new AuditTrail(await azurite.table(`Audit${n}`));
  const messenger = new RecordingMessenger();
  const nudges = new RecordingNudges();
  const installs: string[] = [];
  const newDispatcher = () =>
    new NotificationDispatcher({
      outbox,
      requests,
      audit,
      graph: {
        listGroupMembers: () => Promise.resolve([]),
        installTeamsAppForUser: (userId: string) => {
          installs.push(userId);
          return Promise.resolve({
            installationId: `inst-${userId}`,
            chatId: `19:${userId}_bot@unq.gbl.spaces`,
          });
        },
      },
      references,
      approvalCards: new ApprovalCardMessages(state),
      state,
      messenger,
      nudges,
      settings: {
        tenantId: '5d2d1e3a-7c4b-4f1e-9a8d-3b6c2e1f0a47',
        tabUrl: 'https://teams.example/tab',
        teamsAppCatalogId: '08157b45-1f7c-4c5b-9e08-b1411fb757a7',
        serviceUrl: 'https://smba.trafficmanager.net/teams/',
        botAppId: '0f5a3c1e-8d2b-4e6f-9a7c-1b3d5e7f9a2c',
      },
      log: courierLogger(() => undefined),
      now: () => clock,
    });
  const dispatcher = newDispatcher();
  const remember = (user: { id: string }) =>
    references.save({
      aadObjectId: user.id,
      teamsUserId: `29:${user.id}`,
      reference: { channelId: 'msteams', conversation: { id: `a:${user.id}` } },
      updatedAt: new Date(clock).toISOString(),
    });
  const request = async (requestId: string, state: RequestState, approvers = [LARS], step = 1) => {
    await requests.applyStep(
      requestId,
      step,
      { state, approvers, updatedAt: new Date(clock).toISOString() },
      {
        requestId,
        instanceId: `courier-request-${requestId}`,
        jobId: `job-${requestId}`,
        requester: MAJA,
        reason: RequestReason.Backup,
        keyClass: {
          name: 'YubiKey 5 Series',
          allowedAaguids: ['ee882879-721c-4913-9775-3dfcce97072a'],
          minimumFirmware: '5.7.0',
        },
        requestedAt: new Date(clock).toISOString(),
      },
    );
  };
  const notify = (
    requestId: string,
    step: number,
    kind: string,
    audience: 'requester' | 'approvers',
    recipients: string[],
  ) =>
    outbox.add({
      notificationId: `${requestId}:${step}:${audience}`,
      requestId,
      kind,
      audience,
      recipients,
      recipientIsGroup: false,
      state: 'x',
    });
  return {
    dispatcher,
    newDispatcher,
    nudges,
    messenger,
    outbox,
    installs,
    remember,
    request,
    notify,
    advance: (ms: number) => {
      clock += ms;
    },
    now: () => clock,
  };
}

describe('the notification dispatcher', () => {
  it('delivers each message once, and keeps it until Teams takes it, backing off', async () => {
    const t = await setup();
    await t.remember(MAJA);
    await t.request('req-dispatch-1', RequestState.Shipped);
    await t.notify('req-dispatch-1', 7, 'shipped', 'requester', [MAJA.id]);

    t.messenger.failFor.add(`a:${MAJA.id}`);
    expect(await t.dispatcher.drain()).toEqual({ delivered: 0, waiting: 1 });
    expect(await t.outbox.pending()).toHaveLength(1);
    t.messenger.failFor.clear();
    // Too soon: the back-off holds it.
    expect(await t.dispatcher.drain()).toEqual({ delivered: 0, waiting: 1 });
    expect(t.messenger.sent).toHaveLength(0);
    t.advance(20_000);
    expect(await t.dispatcher.drain()).toEqual({ delivered: 1, waiting: 0 });
    expect(await t.dispatcher.drain()).toEqual({ delivered: 0, waiting: 0 });
    expect(t.messenger.sent).toHaveLength(1);
    expect(JSON.stringify(t.messenger.sent[0]!.card)).toContain('Has your key arrived?');
    expect(await t.outbox.pending()).toEqual([]);
  });

  it('does not send again to the approvers it reached when another one failed', async () => {
    const t = await setup();
    await t.remember(LARS);
    await t.remember(SOFIA);
    await t.request('req-dispatch-2', RequestState.AwaitingApproval, [LARS, SOFIA]);
    await t.notify('req-dispatch-2', 2, 'approval-requested', 'approvers', [LARS.id, SOFIA.id]);
    t.messenger.failFor.add(`a:${SOFIA.id}`);
    await t.dispatcher.drain();
    t.messenger.failFor.clear();
    t.advance(60_000);
    await t.dispatcher.drain();
    expect(t.messenger.sent.map((s) => s.chat)).toEqual([`a:${LARS.id}`, `a:${SOFIA.id}`]);
    // Known people get the read-only view that Teams refreshes into their buttons.
    const card = t.messenger.sent[0]!.card!;
    expect(card.actions).toBeUndefined();
    expect(card.refresh?.userIds).toEqual([`29:${LARS.id}`, `29:${SOFIA.id}`]);

    // A reminder is a reply to the card; expiry updates the card itself.
    await t.notify('req-dispatch-2', 3, 'reminder', 'approvers', [LARS.id]);
    await t.notify('req-dispatch-2', 4, 'expired', 'approvers', [LARS.id]);
    await t.dispatcher.drain();
    expect(t.messenger.sent[2]).toMatchObject({
      replyToId: 'activity-1',
      text: expect.stringMatching(/Reminder/),
    });
    expect(t.messenger.updated).toEqual([expect.objectContaining({ activityId: 'activity-1' })]);
    expect(JSON.stringify(t.messenger.updated[0]!.card)).toMatch(/Nobody decided before/);
  });

  it('on escalation, updates the cards already posted and posts to the new approvers', async () => {
    const t = await setup();
    await t.remember(LARS);
    await t.remember(SOFIA);
    await t.request('req-dispatch-4', RequestState.AwaitingApproval, [LARS]);
    await t.notify('req-dispatch-4', 2, 'approval-requested', 'approvers', [LARS.id]);
    await t.dispatcher.drain();
    await t.request('req-dispatch-4', RequestState.AwaitingApproval, [LARS, SOFIA], 5);
    await t.notify('req-dispatch-4', 5, 'escalated', 'approvers', [LARS.id, SOFIA.id]);
    await t.dispatcher.drain();
    expect(t.messenger.sent.map((s) => s.chat)).toEqual([`a:${LARS.id}`, `a:${SOFIA.id}`]);
    expect(t.messenger.updated.map((u) => [u.chat, u.activityId])).toEqual([
      [`a:${LARS.id}`, 'activity-1'],
    ]);
    expect(t.messenger.updated[0]!.card.refresh?.userIds).toEqual([
      `29:${LARS.id}`,
      `29:${SOFIA.id}`,
    ]);
  });

  it('installs the app for an approver who never opened it, and finds the chat', async () => {
    const t = await setup();
    await t.request('req-dispatch-3', RequestState.AwaitingApproval);
    await t.notify('req-dispatch-3', 2, 'approval-requested', 'approvers', [LARS.id]);
    await t.dispatcher.drain();
    expect(t.installs).toEqual([LARS.id]);
    expect(t.messenger.sent[0]!.chat).toBe(`19:${LARS.id}_bot@unq.gbl.spaces`);
    // Their Teams id is not known yet: the card carries the buttons in their own chat.
    expect(t.messenger.sent[0]!.card!.actions?.map((a) => a.title)).toEqual(['Approve', 'Reject']);
  });

  it('re-queues a failed delivery for when its back-off ends, and a late nudge changes nothing', async () => {
    const t = await setup();
    await t.remember(MAJA);
    await t.request('req-dispatch-5', RequestState.Shipped);
    await t.notify('req-dispatch-5', 7, 'shipped', 'requester', [MAJA.id]);
    t.messenger.failFor.add(`a:${MAJA.id}`);
    const failed = await t.dispatcher.deliverOne('req-dispatch-5:7:requester');
    expect(failed.kind).toBe('failed');
    const retryAt = (failed as { retryAt: number }).retryAt;
    // The nudge waits exactly as long as the back-off (10 s, with jitter).
    expect(t.nudges.nudged).toEqual([
      {
        notificationId: 'req-dispatch-5:7:requester',
        delayMs: retryAt - Date.parse('2026-12-05T10:00:00Z'),
      },
    ]);
    expect(t.nudges.nudged[0]!.delayMs).toBeGreaterThanOrEqual(7_500);
    expect(t.nudges.nudged[0]!.delayMs).toBeLessThanOrEqual(12_500);
    t.messenger.failFor.clear();
    // Another nudge for it arriving early (an activity's retry) does not jump the back-off.
    expect(await t.dispatcher.deliverOne('req-dispatch-5:7:requester')).toEqual({
      kind: 'backing-off',
      until: retryAt,
    });
    t.advance(retryAt - Date.parse('2026-12-05T10:00:00Z'));
    expect(await t.dispatcher.deliverOne('req-dispatch-5:7:requester')).toEqual({
      kind: 'delivered',
    });
    expect(await t.dispatcher.deliverOne('req-dispatch-5:7:requester')).toEqual({ kind: 'gone' });
    expect(t.messenger.sent).toHaveLength(1);
  });

  it('loses nothing when even the re-queue fails: the row stays pending for the sweep', async () => {
    const t = await setup();
    await t.remember(MAJA);
    await t.request('req-dispatch-6', RequestState.Shipped);
    await t.notify('req-dispatch-6', 7, 'shipped', 'requester', [MAJA.id]);
    t.messenger.failFor.add(`a:${MAJA.id}`);
    t.nudges.failing = true;
    expect((await t.dispatcher.deliverOne('req-dispatch-6:7:requester')).kind).toBe('failed');
    expect(await t.outbox.pending()).toHaveLength(1);
    t.messenger.failFor.clear();
    t.advance(60_000);
    expect(await t.dispatcher.drain()).toEqual({ delivered: 1, waiting: 0 });
    expect(t.messenger.sent).toHaveLength(1);
  });

  it('lets one deliverer at a time hold a notification: a queue message and the sweep at once send once per recipient', async () => {
    const t = await setup();
    await t.remember(LARS);
    await t.remember(SOFIA);
    await t.request('req-dispatch-7', RequestState.AwaitingApproval, [LARS, SOFIA]);
    await t.notify('req-dispatch-7', 2, 'approval-requested', 'approvers', [LARS.id, SOFIA.id]);
    let open!: () => void;
    t.messenger.gate = new Promise((resolve) => (open = resolve));
    // The queue trigger's delivery is caught mid-send while the sweep passes by.
    const queued = t.dispatcher.deliverOne('req-dispatch-7:2:approvers');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const swept = await t.newDispatcher().drain();
    expect(swept).toEqual({ delivered: 0, waiting: 1 });
    t.messenger.gate = undefined;
    open();
    expect(await queued).toEqual({ kind: 'delivered' });
    expect(t.messenger.sent.map((s) => s.chat).sort()).toEqual(
      [`a:${LARS.id}`, `a:${SOFIA.id}`].sort(),
    );

    // Two instances racing for the same nudge: the ETag lets one lease it.
    await t.notify('req-dispatch-7', 3, 'reminder', 'approvers', [LARS.id, SOFIA.id]);
    const outcomes = await Promise.all([
      t.newDispatcher().deliverOne('req-dispatch-7:3:approvers'),
      t.newDispatcher().deliverOne('req-dispatch-7:3:approvers'),
      t.newDispatcher().drain(),
    ]);
    const replies = t.messenger.sent.filter((s) => s.replyToId);
    expect(replies.map((s) => s.chat).sort()).toEqual([`a:${LARS.id}`, `a:${SOFIA.id}`].sort());
    expect(
      outcomes.filter((o) => 'kind' in o && o.kind === 'delivered').length +
        ('delivered' in outcomes[2] ? outcomes[2].delivered : 0),
    ).toBe(1);
    expect(await t.outbox.pending()).toEqual([]);
  });

  it('takes over the lease of a deliverer that crashed, once it lapses, without repeating its sends', async () => {
    const t = await setup();
    await t.remember(MAJA);
    await t.request('req-dispatch-8', RequestState.Shipped);
    await t.notify('req-dispatch-8', 7, 'shipped', 'requester', [MAJA.id]);
    // A deliverer leased it and died before sending.
    const crashed = await t.outbox.lease('req-dispatch-8:7:requester', DELIVERY_LEASE_MS);
    expect(crashed.kind).toBe('leased');
    const held = await t.dispatcher.deliverOne('req-dispatch-8:7:requester');
    expect(held).toEqual({
      kind: 'held',
      until: Date.parse('2026-12-05T10:00:00Z') + DELIVERY_LEASE_MS,
    });
    expect(t.messenger.sent).toHaveLength(0);
    t.advance(DELIVERY_LEASE_MS + 1);
    expect(await t.dispatcher.deliverOne('req-dispatch-8:7:requester')).toEqual({
      kind: 'delivered',
    });
    expect(t.messenger.sent).toHaveLength(1);
    // The crashed deliverer, back from the dead, cannot complete under its stale lease.
    await t.notify('req-dispatch-8', 8, 'pin-ready', 'requester', [MAJA.id]);
    const stale = await t.outbox.lease('req-dispatch-8:8:requester', DELIVERY_LEASE_MS);
    t.advance(DELIVERY_LEASE_MS + 1);
    await t.dispatcher.deliverOne('req-dispatch-8:8:requester').then(async () => {
      // Delivered and completed by the new holder; the stale one finds the row gone (a no-op).
      await t.outbox.complete(
        'req-dispatch-8:8:requester',
        (stale as { lease: { leaseId: string } }).lease.leaseId,
      );
    });
    expect(t.messenger.sent).toHaveLength(2);
  });

  it("gives each person a request's messages in the order they were written, whichever nudge comes first", async () => {
    const t = await setup();
    await t.remember(LARS);
    await t.remember(SOFIA);
    await t.request('req-dispatch-9', RequestState.AwaitingApproval, [LARS]);
    await t.notify('req-dispatch-9', 2, 'approval-requested', 'approvers', [LARS.id]);
    t.advance(1_000);
    await t.notify('req-dispatch-9', 3, 'expired', 'approvers', [LARS.id, SOFIA.id]);
    // The expiry's nudge runs first (queue messages run in parallel, in no order): Sofia, who
    // never got a card, is done; Lars waits for his card to be posted before it is updated.
    t.messenger.failFor.add(`a:${LARS.id}`);
    const first = await t.dispatcher.deliverOne('req-dispatch-9:2:approvers');
    expect(first.kind).toBe('failed');
    const lateCardAt = (first as { retryAt: number }).retryAt;
    const waiting = await t.dispatcher.deliverOne('req-dispatch-9:3:approvers');
    expect(waiting).toEqual({
      kind: 'waiting',
      behind: ['req-dispatch-9:2:approvers'],
      // Right after the card's own retry, not sooner; and without growing its own back-off.
      retryAt: lateCardAt + 2_000,
    });
    expect(t.nudges.nudged.at(-1)).toEqual({
      notificationId: 'req-dispatch-9:3:approvers',
      delayMs: lateCardAt + 2_000 - t.now(),
    });
    expect(t.messenger.updated).toEqual([]);
    t.messenger.failFor.clear();
    t.advance(lateCardAt - t.now());
    expect(await t.dispatcher.deliverOne('req-dispatch-9:2:approvers')).toEqual({
      kind: 'delivered',
    });
    t.advance(2_000);
    expect(await t.dispatcher.deliverOne('req-dispatch-9:3:approvers')).toEqual({
      kind: 'delivered',
    });
    // Lars: the card, then its update; Sofia: nothing to close, nothing posted.
    expect(t.messenger.sent.map((m) => m.chat)).toEqual([`a:${LARS.id}`]);
    expect(t.messenger.updated.map((u) => [u.chat, u.activityId])).toEqual([
      [`a:${LARS.id}`, 'activity-1'],
    ]);
    expect(JSON.stringify(t.messenger.updated[0]!.card)).toMatch(/Nobody decided before/);
    expect(await t.outbox.pending()).toEqual([]);
  });

  it('sweeps a request in the order its messages were written', async () => {
    const t = await setup();
    await t.remember(LARS);
    await t.request('req-dispatch-10', RequestState.AwaitingApproval, [LARS]);
    await t.notify('req-dispatch-10', 2, 'approval-requested', 'approvers', [LARS.id]);
    t.advance(1_000);
    await t.notify('req-dispatch-10', 3, 'reminder', 'approvers', [LARS.id]);
    expect(await t.dispatcher.drain()).toEqual({ delivered: 2, waiting: 0 });
    expect(t.messenger.sent[1]).toMatchObject({ replyToId: 'activity-1' });
  });

  it('waits longer and longer behind an earlier message that stays in flight (its deliverer may have crashed)', async () => {
    const t = await setup();
    await t.remember(MAJA);
    await t.request('req-dispatch-11', RequestState.Shipped);
    await t.notify('req-dispatch-11', 6, 'registered', 'requester', [MAJA.id]);
    t.advance(1_000);
    await t.notify('req-dispatch-11', 7, 'shipped', 'requester', [MAJA.id]);
    // A deliverer took the first and never came back.
    expect((await t.outbox.lease('req-dispatch-11:6:requester', DELIVERY_LEASE_MS)).kind).toBe(
      'leased',
    );
    const waits: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      const outcome = await t.dispatcher.deliverOne('req-dispatch-11:7:requester');
      expect(outcome.kind).toBe('waiting');
      waits.push((outcome as { retryAt: number }).retryAt - t.now());
      t.advance(waits.at(-1)!);
    }
    expect(waits).toEqual([2_000, 4_000, 8_000, 16_000]);
    expect(t.messenger.sent).toEqual([]);
  });
});
