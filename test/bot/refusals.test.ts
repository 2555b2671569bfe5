import { TableClient } from '@azure/data-tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestView } from '../../core/request/request-view.ts';
import { BotRefusals } from '../../functions/bot/store/bot-refusals.ts';
import { BotState } from '../../functions/bot/store/bot-state.ts';
import { postRawMessage } from './support/post-activity.ts';
import { startTestStack, type TestStack } from '../functions/support/courier-stack.ts';
import { eventually } from '../functions/support/eventually.ts';
import { claimed, TestStation } from '../functions/support/test-station.ts';

const BOT_APP_ID = '0f5a3c1e-8d2b-4e6f-9a7c-1b3d5e7f9a2c';
let stack: TestStack;

beforeAll(async () => {
  // As in Azure: the bot has an app id, so every activity must carry a Bot Framework token.
  stack = await startTestStack({
    settings: { COURIER_BOT_AUTH: 'entra', COURIER_BOT_APP_ID: BOT_APP_ID },
  });
}, 60_000);
afterAll(async () => stack?.stop());

function inState(requestId: string, state: RequestView['state']) {
  return eventually(async () => {
    const answer = await stack.as('employee').get(`requests/${requestId}`);
    const view = answer.status === 200 ? answer.json<RequestView>() : undefined;
    return view?.state === state ? view : undefined;
  }, `${requestId} to be ${state}`);
}

describe('refusals, each with a clear message and a record', () => {
  it('refuses an unsigned activity when the bot has an app id', async () => {
    const answer = await postRawMessage(stack, {
      text: 'request a key',
      serviceUrl: 'https://smba.trafficmanager.net/teams/',
      botId: `28:${BOT_APP_ID}`,
    });
    expect(answer.status).toBe(401);
    expect(answer.json()).toMatchObject({
      error: { code: 'UNAUTHENTICATED', message: expect.stringMatching(/not signed/) },
    });
    const table = TableClient.fromConnectionString(
      stack.settings.COURIER_STORAGE_CONNECTION!,
      'CourierBot',
      { tlsOptions: { ca: stack.host.caPem } },
    );
    const today = new Date().toISOString().slice(0, 10);
    const refusals = new BotRefusals(new BotState(table));
    // Without a token the body is never read, so who it claims to be from is unknown.
    expect(await refusals.onDay(today)).toEqual([
      expect.objectContaining({ reason: 'unsigned-activity' }),
    ]);

    // A forged token gets as far as the adapter's validation, and no further.
    const forged = await postRawMessage(
      stack,
      {
        text: 'request a key',
        serviceUrl: 'https://smba.trafficmanager.net/teams/',
        botId: `28:${BOT_APP_ID}`,
      },
      { authorization: 'Bearer eyJhbGciOiJub25lIn0.eyJhdWQiOiJ4In0.' },
    );
    expect(forged.status).toBe(401);
    expect(await refusals.onDay(today)).toEqual([
      expect.objectContaining({ reason: 'unsigned-activity' }),
      expect.objectContaining({
        reason: 'unsigned-activity',
        claimedFrom: '74d50326-ba14-4319-ac27-15d63260d1ba',
      }),
    ]);
  });

  it('refuses an activity over the size limit', async () => {
    const answer = await postRawMessage(
      stack,
      {
        text: 'x'.repeat(300 * 1024),
        serviceUrl: 'https://smba.trafficmanager.net/teams/',
        botId: `28:${BOT_APP_ID}`,
      },
      { authorization: 'Bearer x.y.z' },
    );
    expect(answer.status).toBe(413);
    expect(answer.text).toMatch(/too large/);
  });

  it('refuses a second PIN reveal and a reveal by anyone but the requester, on the record', async () => {
    const employee = stack.as('employee');
    const created = await employee.post('requests', { reason: 'backup' });
    expect(created.status).toBe(202);
    const { requestId } = created.json<{ requestId: string }>();
    await inState(requestId, 'AwaitingApproval');
    expect(
      (await stack.as('manager').post(`requests/${requestId}/decision`, { approved: true })).status,
    ).toBe(202);
    await inState(requestId, 'AwaitingStation');
    const station = new TestStation(stack.as('operator'), 'mailroom-1');
    const job = claimed(
      await stack.as('operator').post(`station/jobs/job-${requestId}/claim`, {
        stationId: 'mailroom-1',
      }),
    );
    const programmed = await station.program(job);
    await station.confirmPinChange(job);
    await station.ship(job);
    await inState(requestId, 'Shipped');
    await employee.post(`requests/${requestId}/delivery`, {
      serialLastDigits: String(programmed.serial).slice(-6),
    });

    const manager = await stack.as('manager').post(`requests/${requestId}/pin`);
    expect(manager.status).toBe(403);
    expect((await employee.post(`requests/${requestId}/pin`)).status).toBe(200);
    const again = await employee.post(`requests/${requestId}/pin`);
    expect(again.status).toBe(410);
    expect(again.json()).toMatchObject({ error: { message: expect.stringMatching(/shown once/) } });

    const audit = await stack.as('admin').get(`manage/audit?requestId=${requestId}`);
    const refused = audit
      .json<{ records: { event?: string; actor: { id: string } }[] }>()
      .records.filter((r) => r.event?.startsWith('refused-'));
    const people = stack.tenant.directory.personas;
    expect(refused).toEqual([
      expect.objectContaining({
        event: 'refused-pin-not-requester',
        actor: expect.objectContaining({ id: people.get('manager')!.id }),
      }),
      expect.objectContaining({
        event: 'refused-pin-already-revealed',
        actor: expect.objectContaining({ id: people.get('employee')!.id }),
      }),
    ]);
  }, 60_000);
});
