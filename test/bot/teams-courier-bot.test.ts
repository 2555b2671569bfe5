import { TestAdapter, type Activity, type TurnContext } from 'botbuilder';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RequestState } from '../../core/request/request-state.ts';
import type { AdaptiveCard } from '../../functions/bot/cards/adaptive-card.ts';
import { CourierBot } from '../../functions/bot/courier-bot.ts';
import { ownRequestId } from '../../functions/workflow/scoped-request-id.ts';
import { BotState } from '../../functions/bot/store/bot-state.ts';
import { ConversationReferences } from '../../functions/bot/store/conversation-references.ts';
import { TeamsCourierBot } from '../../functions/bot/teams/teams-courier-bot.ts';
import { courierLogger } from '../../functions/log/courier-logger.ts';
import { startAzurite, type AzuriteTables } from '../support/azurite.ts';
import { validateAdaptiveCard } from '../support/adaptive-card-validation.ts';
import { EMPLOYEE, MANAGER, MemoryBotBackend, STRANGER } from './support/memory-bot-backend.ts';

let azurite: AzuriteTables;
let tableNumber = 0;

beforeAll(async () => {
  azurite = await startAzurite();
}, 30_000);
afterAll(async () => azurite?.stop());

/** A TestAdapter that also keeps the activities the bot replaced (updateActivity). */
class RecordingAdapter extends TestAdapter {
  readonly updated: Partial<Activity>[] = [];
  override updateActivity(context: TurnContext, activity: Partial<Activity>) {
    this.updated.push(activity);
    return Promise.resolve();
  }
}

let backend: MemoryBotBackend;
let references: ConversationReferences;
let adapter: RecordingAdapter;

beforeEach(async () => {
  backend = new MemoryBotBackend();
  references = new ConversationReferences(
    new BotState(await azurite.table(`BotTest${++tableNumber}`)),
  );
  const silent = courierLogger(() => undefined);
  const bot = new TeamsCourierBot(new CourierBot(backend), references, silent);
  adapter = new RecordingAdapter((context) => bot.run(context));
});

function from(user: { id: string; displayName: string }) {
  return {
    from: { id: `29:${user.id}`, aadObjectId: user.id, name: user.displayName },
    conversation: { id: `a:chat-${user.id}`, conversationType: 'personal', isGroup: false },
    channelId: 'msteams',
    locale: 'en-US',
  };
}

function message(user: typeof EMPLOYEE, text: string): Partial<Activity> {
  return { type: 'message', text, ...from(user) } as Partial<Activity>;
}

function invoke(
  user: typeof EMPLOYEE,
  verb: string,
  data: Record<string, unknown>,
  replyToId = 'card-1',
): Partial<Activity> {
  return {
    type: 'invoke',
    name: 'adaptiveCard/action',
    replyToId,
    value: { action: { type: 'Action.Execute', verb, data } },
    ...from(user),
  } as Partial<Activity>;
}

async function say(activity: Partial<Activity>): Promise<Partial<Activity>[]> {
  await adapter.processActivity(activity);
  const replies: Partial<Activity>[] = [];
  for (let reply = adapter.getNextReply(); reply; reply = adapter.getNextReply()) {
    replies.push(reply);
  }
  return replies;
}

function cardOf(activity: Partial<Activity> | undefined): AdaptiveCard {
  const content = activity?.attachments?.[0]?.content as AdaptiveCard | undefined;
  if (!content) throw new Error(`no card in ${JSON.stringify(activity)}`);
  expect(validateAdaptiveCard(JSON.parse(JSON.stringify(content)))).toEqual([]);
  return content;
}

/** The invoke response's body: a card, or a message Teams shows. */
function answerOf(replies: Partial<Activity>[]) {
  const response = replies.find((r) => r.type === 'invokeResponse');
  const body = (response?.value as { status: number; body: { type: string; value: unknown } }).body;
  return body;
}

const allText = (card: AdaptiveCard) => JSON.stringify(card);

describe('the Teams bot (TestAdapter)', () => {
  it('welcomes on install and remembers the chat', async () => {
    const replies = await say({
      type: 'conversationUpdate',
      membersAdded: [{ id: 'bot-id', name: 'Passkey Courier' }],
      recipient: { id: 'bot-id', name: 'Passkey Courier' },
      ...from(EMPLOYEE),
    } as Partial<Activity>);
    expect(allText(cardOf(replies[0]))).toContain('Hi Maja Lind, I am Passkey Courier');
    const stored = await references.find(EMPLOYEE.id);
    expect(stored).toMatchObject({ teamsUserId: `29:${EMPLOYEE.id}` });
    expect(stored?.reference).toMatchObject({ conversation: { id: `a:chat-${EMPLOYEE.id}` } });
  });

  it('asks for a key with a form prefilled from the profile, and refuses a second open request', async () => {
    const [form] = await say(message(EMPLOYEE, 'I need a new key please'));
    const card = cardOf(form);
    const shipTo = card.body.find((e) => e.id === 'shipTo');
    expect(shipTo?.value).toBe('Maja Lind\nStortorget 1\n211 22 Malmö');
    const formId = (card.actions?.[0] as unknown as { data: { formId: string } }).data.formId;

    const invalid = answerOf(await say(invoke(EMPLOYEE, 'submitRequest', { formId, shipTo: '' })));
    expect(JSON.stringify(invalid.value)).toContain('Choose why you need a key.');
    expect(backend.events).toEqual([]);

    const submit = {
      formId,
      reason: 'new-hire',
      keyClass: 'YubiKey 5 Series',
      shipTo: 'Desk 4.12',
    };
    const sent = answerOf(await say(invoke(EMPLOYEE, 'submitRequest', submit)));
    expect(sent.type).toBe('application/vnd.microsoft.card.adaptive');
    expect(JSON.stringify(sent.value)).toContain('is on its way to Lars Eriksson');
    // A double click on the same form starts nothing new.
    await say(invoke(EMPLOYEE, 'submitRequest', submit));
    expect(backend.events.filter((e) => e.kind === 'start')).toHaveLength(1);
    // The form's id is the key the request's id is minted from, with the person.
    const requestId = ownRequestId(EMPLOYEE.id, formId);
    expect(backend.events[0]).toMatchObject({
      requestId,
      detail: { shippingAddress: 'Desk 4.12' },
    });

    const [again] = await say(message(EMPLOYEE, 'request a key'));
    expect(again?.text).toMatch(
      new RegExp(`You already have request ${requestId}, which is Waiting for approval`),
    );
  });

  it('takes the approver’s decision once, and updates the card for everyone', async () => {
    backend.add('req-approve-1', RequestState.AwaitingApproval);
    const replies = await say(
      invoke(MANAGER, 'approve', { requestId: 'req-approve-1', comment: ' Welcome! ' }),
    );
    const answer = answerOf(replies);
    expect(JSON.stringify(answer.value)).toMatch(/Approved by Lars Eriksson/);
    expect(backend.events).toEqual([
      { kind: 'approve', requestId: 'req-approve-1', by: MANAGER.id, detail: 'Welcome!' },
    ]);
    expect(adapter.updated).toHaveLength(1);
    expect(adapter.updated[0]?.id).toBe('card-1');
    expect(JSON.stringify(cardOf(adapter.updated[0]))).toMatch(/Approved by Lars Eriksson/);

    // The workflow recorded it; a second click shows the decision and decides nothing.
    backend.decisions.set('req-approve-1', {
      approved: true,
      by: MANAGER,
      at: '2026-12-01T09:00:00Z',
    });
    const second = answerOf(await say(invoke(MANAGER, 'reject', { requestId: 'req-approve-1' })));
    expect(JSON.stringify(second.value)).toMatch(/Approved by Lars Eriksson/);
    expect(backend.events).toHaveLength(1);
  });

  it('refuses someone who is not the approver, and self-approval, with a message and a record', async () => {
    backend.add('req-refuse-1', RequestState.AwaitingApproval);
    const stranger = answerOf(
      await say(invoke(STRANGER, 'approve', { requestId: 'req-refuse-1' })),
    );
    expect(stranger).toEqual({
      statusCode: 200,
      type: 'application/vnd.microsoft.activity.message',
      value: 'Only Lars Eriksson can decide on this request.',
    });
    backend.add('req-self-1', RequestState.AwaitingApproval, MANAGER);
    const self = answerOf(await say(invoke(MANAGER, 'approve', { requestId: 'req-self-1' })));
    expect(self.value).toBe('You cannot approve or reject your own request.');
    expect(backend.events).toEqual([]);
    expect(adapter.updated).toEqual([]);
    expect(backend.refusals).toMatchObject([
      {
        reason: 'not-approver',
        requestId: 'req-refuse-1',
        actor: { id: STRANGER.id },
        state: 'AwaitingApproval',
      },
      { reason: 'self-approval', requestId: 'req-self-1', actor: { id: MANAGER.id } },
    ]);
  });

  it('shows the buttons only to the approver when Teams refreshes the card', async () => {
    backend.add('req-refresh-1', RequestState.AwaitingApproval);
    const mine = answerOf(
      await say(invoke(MANAGER, 'refreshApproval', { requestId: 'req-refresh-1' })),
    );
    const theirs = answerOf(
      await say(invoke(EMPLOYEE, 'refreshApproval', { requestId: 'req-refresh-1' })),
    );
    const titles = (card: unknown) => ((card as AdaptiveCard).actions ?? []).map((a) => a.title);
    expect(titles(mine.value)).toEqual(['Approve', 'Reject']);
    expect(titles(theirs.value)).toEqual([]);
    expect((mine.value as AdaptiveCard).refresh?.userIds).toEqual([`29:${MANAGER.id}`]);
  });

  it('lists my requests, cancels and reports a lost key', async () => {
    backend.add('req-mine-01', RequestState.Shipped);
    const [list] = await say(message(EMPLOYEE, 'my requests'));
    expect(allText(cardOf(list))).toContain('Key request req-mine-01');
    const [lost] = await say(message(EMPLOYEE, 'I lost my key'));
    expect(lost?.text).toMatch(/reported lost/);
    const [cancel] = await say(message(EMPLOYEE, 'cancel'));
    expect(cancel?.text).toMatch(/is being cancelled/);
    expect(backend.events.map((e) => e.kind)).toEqual(['lost', 'cancel']);
    const [nothing] = await say(message(STRANGER, 'cancel'));
    expect(nothing?.text).toBe('You have no open request to cancel.');
  });

  it('confirms delivery with the serial’s last digits, then points to the tab', async () => {
    backend.add('req-deliver', RequestState.Shipped);
    const wrong = answerOf(
      await say(
        invoke(EMPLOYEE, 'confirmDelivery', { requestId: 'req-deliver', serialLastDigits: '9999' }),
      ),
    );
    expect(JSON.stringify(wrong.value)).toContain('do not match the key sent to you');
    const right = answerOf(
      await say(
        invoke(EMPLOYEE, 'confirmDelivery', { requestId: 'req-deliver', serialLastDigits: '5678' }),
      ),
    );
    const card = right.value as AdaptiveCard;
    expect(card.actions).toEqual([
      { type: 'Action.OpenUrl', title: 'Reveal PIN', url: 'https://teams.example/tab' },
    ]);
    expect(JSON.stringify(card)).not.toMatch(/\bPIN is \d/);
    // Someone else cannot act on the request at all.
    const other = answerOf(
      await say(
        invoke(STRANGER, 'confirmDelivery', { requestId: 'req-deliver', serialLastDigits: '5678' }),
      ),
    );
    expect(other.value).toBe('I cannot find request req-deliver.');
  });

  it('answers unknown text with help', async () => {
    const replies = await say(message(EMPLOYEE, 'what is the weather'));
    expect(replies[0]?.text).toBe('I did not understand "what is the weather".');
    expect(allText(cardOf(replies[1]))).toContain('request a key');
  });
});
