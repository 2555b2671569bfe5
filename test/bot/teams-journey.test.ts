import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestView } from '../../core/request/request-view.ts';
import type { AdaptiveCard } from '../../functions/bot/cards/adaptive-card.ts';
import { postRawMessage } from './support/post-activity.ts';
import { startTestStack, type TestStack } from '../functions/support/courier-stack.ts';
import { eventually } from '../functions/support/eventually.ts';
import { claimed } from '../functions/support/test-station.ts';
import { validateAdaptiveCard } from '../support/adaptive-card-validation.ts';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
}, 60_000);
afterAll(async () => stack?.stop());

const text = (value: unknown) => JSON.stringify(value);

function lastCard(who: string, matching: RegExp) {
  return eventually(
    () =>
      Promise.resolve(
        stack.teams
          .as(who)
          .chat()
          .filter((m) => m.card && matching.test(text(m.card)))
          .at(-1),
      ),
    `${who} to get a card matching ${matching}`,
    40_000,
  );
}

describe('Teams, end to end through the local stack (CloudAdapter on loopback)', () => {
  it('request in chat, approve on the card, every view follows the real stage', async () => {
    const maja = stack.teams.as('employee');
    await maja.install();
    const welcome = maja.chat().find((m) => m.card);
    expect(text(welcome?.card)).toContain('Hi Maja Lind, I am Passkey Courier');

    await maja.say('request a key');
    const form = maja.chat().at(-1)!.card as AdaptiveCard;
    expect(validateAdaptiveCard(JSON.parse(text(form)))).toEqual([]);
    const formId = (form.actions![0] as unknown as { data: { formId: string } }).data.formId;
    const sent = await maja.execute(
      'submitRequest',
      { formId, reason: 'backup', keyClass: 'Software key (local)', shipTo: 'Desk 4.12, Malmö' },
      'form',
    );
    expect(sent.type).toBe('application/vnd.microsoft.card.adaptive');
    const [mine] = (await stack.as('employee').get('requests/mine')).json<{
      requests: RequestView[];
    }>().requests;
    const requestId = mine!.requestId;
    expect(requestId).not.toBe(formId); // minted by the service from the form's id and Maja

    // Lars never opened the app: the notification installs it through Graph and finds the chat.
    const approval = await lastCard('manager', /Security key request from Maja Lind/);
    const lars = stack.teams.as('manager');
    const refused = await maja.execute('approve', { requestId }, approval.id);
    expect(refused).toMatchObject({ value: 'You cannot approve or reject your own request.' });
    const decided = await lars.execute('approve', { requestId, comment: 'Enjoy' }, approval.id);
    expect(text(decided.value)).toMatch(/Approved by Lars Eriksson/);
    // The stored message changed for everyone, not only in Lars's view.
    expect(text(lars.chat().find((m) => m.id === approval.id)?.card)).toMatch(
      /Approved by Lars Eriksson/,
    );
    await lastCard('employee', /Lars Eriksson approved your request/);

    // A station claims the job: the API, the tab and the cards say Programming, as the audit does.
    const employee = stack.as('employee');
    await eventually(async () => {
      const view = (await employee.get(`requests/${requestId}`)).json<RequestView>();
      return view.state === 'AwaitingStation' ? view : undefined;
    }, 'AwaitingStation');
    claimed(
      await stack.as('operator').post(`station/jobs/job-${requestId}/claim`, {
        stationId: 'mailroom-1',
      }),
    );
    const programming = (await employee.get(`requests/${requestId}`)).json<RequestView>();
    expect(programming.state).toBe('Programming');
    expect(programming.actions).toContain('cancel');
    await lastCard('employee', /The mailroom is programming your key/);
  }, 120_000);

  it('takes one decision when the approver clicks the card and uses the API at the same moment', async () => {
    const kwame = stack.as('kwame.asante@fabrikam.example');
    const created = await kwame.post('requests', { reason: 'backup' });
    expect(created.status).toBe(202);
    const { requestId } = created.json<{ requestId: string }>();
    const approval = await lastCard('manager', /Security key request from Kwame Asante/);
    const lars = stack.as('manager');
    await stack.token('manager');
    const [onCard, overApi] = await Promise.all([
      stack.teams.as('manager').execute('approve', { requestId }, approval.id),
      lars.post(`requests/${requestId}/decision`, { approved: false }),
    ]);
    // Exactly one channel won, and what each was told is what happened.
    const final = await eventually(async () => {
      const view = (await kwame.get(`requests/${requestId}`)).json<RequestView>();
      return view.state === 'AwaitingStation' || view.state === 'Closed' ? view : undefined;
    }, 'the decision to reach the workflow');
    if (final.state === 'AwaitingStation') {
      expect(text(onCard.value)).toMatch(/Approved by Lars Eriksson/);
      expect(overApi.status).toBe(409);
      expect(overApi.json<{ error: { message: string } }>().error.message).toContain(
        'You already approved',
      );
    } else {
      expect(overApi.status).toBe(202);
      expect(text(onCard.value)).toMatch(/Rejected by Lars Eriksson/);
    }
    const audit = await stack.as('admin').get(`manage/audit?requestId=${requestId}`);
    const decisions = audit
      .json<{ records: { event: string }[] }>()
      .records.filter((r) => r.event === 'approved' || r.event === 'rejected');
    expect(decisions).toHaveLength(1);
  }, 120_000);

  it('shows a decision made through the API on a card clicked just after, before the workflow records it', async () => {
    const lina = stack.as('lina.haddad@fabrikam.example');
    const created = await lina.post('requests', { reason: 'backup' });
    expect(created.status).toBe(202);
    const { requestId } = created.json<{ requestId: string }>();
    const approval = await lastCard('manager', /Security key request from Lina Haddad/);
    const overApi = await stack.as('manager').post(`requests/${requestId}/decision`, {
      approved: false,
    });
    expect(overApi.status).toBe(202);
    const onCard = await stack.teams.as('manager').execute('approve', { requestId }, approval.id);
    expect(text(onCard.value)).toMatch(/Rejected by Lars Eriksson/);
    await eventually(async () => {
      const view = (await lina.get(`requests/${requestId}`)).json<RequestView>();
      return view.state === 'Closed' ? view : undefined;
    }, 'the rejection to close the request');
  }, 120_000);

  it('refuses activities that do not come from loopback Teams', async () => {
    const answer = await postRawMessage(stack, {
      text: 'hi',
      serviceUrl: 'https://attacker.example/',
      botId: '28:bot',
    });
    expect(answer.status).toBe(403);
    expect(answer.text).toMatch(/loopback/);
  });
});
