import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestView } from '../../../core/request/request-view.ts';
import { startTestStack, type TestStack } from '../support/courier-stack.ts';
import { requestInState } from '../support/request-in-state.ts';
import { claimed, TestStation } from '../support/test-station.ts';
import { VIRTUAL_KEY_AAGUID } from '../../../station/virtual-key/virtual-key.ts';

/**
 * What was seen on the running local stack when it was probed as an attacker would: concurrent
 * callers, odd input, someone else's ids and leases. Each case failed before its fix.
 */
let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
}, 60_000);
afterAll(async () => stack?.stop());

function inState(requestId: string, state: RequestView['state'], who = 'admin') {
  return requestInState(stack, requestId, state, who);
}

type Row = { row: number; status: string; error?: { code: string } };

describe('callers who send what they should not', () => {
  it('reports null and non-object bulk rows per row, and starts the good rows', async () => {
    const answer = await stack.as('admin').post('manage/requests/bulk', {
      batchId: 'hostile-rows-1',
      requests: [null, { user: 'grace.mensah@fabrikam.example' }, 42, 'text', []],
    });
    expect(answer.status, answer.text).toBe(200);
    const rows = answer.json<{ results: Row[]; started: number }>();
    expect(rows.started).toBe(1);
    expect(rows.results.map((r) => [r.row, r.status, r.error?.code])).toEqual([
      [1, 'error', 'INVALID_ROW'],
      [2, 'started', undefined],
      [3, 'error', 'INVALID_ROW'],
      [4, 'error', 'INVALID_ROW'],
      [5, 'error', 'INVALID_ROW'],
    ]);
  }, 30_000);

  it('starts one request of twenty sent at once by one employee', async () => {
    const ivan = stack.as('ivan.petrov@fabrikam.example');
    await stack.token('ivan.petrov@fabrikam.example');
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        ivan.post('requests', {
          idempotencyKey: `burst-${String(index).padStart(4, '0')}`,
          reason: 'backup',
        }),
      ),
    );
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses.filter((s) => s === 202)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    const mine = await ivan.get('requests/mine');
    expect(mine.json<{ requests: RequestView[] }>().requests).toHaveLength(1);
    for (const refused of answers.filter((a) => a.status === 409)) {
      expect(refused.json()).toMatchObject({ error: { code: 'OPEN_REQUEST_EXISTS' } });
    }
  }, 60_000);

  it('answers someone else’s key or request id exactly as a key nobody has used', async () => {
    const julia = stack.as('julia.rossi@fabrikam.example');
    const hers = await julia.post('requests', { idempotencyKey: 'julia-00001', reason: 'backup' });
    expect(hers.status).toBe(202);
    const juliasId = hers.json<{ requestId: string }>().requestId;

    // Her key, sent by someone else, is just a key: it starts the stranger's own request.
    const stranger = stack.as('lina.haddad@fabrikam.example');
    const posted = await stranger.post('requests', {
      idempotencyKey: 'julia-00001',
      reason: 'backup',
    });
    expect(posted.status, posted.text).toBe(202);
    const linasId = posted.json<{ requestId: string }>().requestId;
    expect(linasId).not.toBe(juliasId);
    expect(posted.json()).toEqual({ requestId: linasId, started: true });
    expect(posted.headers.location).toBe(`/api/requests/${linasId}`);
    expect((await stranger.get(`requests/${linasId}`)).json()).toMatchObject({
      requester: { displayName: 'Lina Haddad' },
    });
    expect((await stranger.get(`requests/${juliasId}`)).status).toBe(404);

    // Her request id sent as a key is answered byte for byte as a key nobody has used.
    const withHerId = await stranger.post('requests', {
      idempotencyKey: juliasId,
      reason: 'backup',
    });
    const withUnused = await stranger.post('requests', {
      idempotencyKey: 'never-used-0001',
      reason: 'backup',
    });
    expect(withHerId.status).toBe(409);
    expect(withHerId.status).toBe(withUnused.status);
    expect(withHerId.json<{ error: { code: string; message: string } }>().error).toMatchObject({
      code: withUnused.json<{ error: { code: string } }>().error.code,
      message: withUnused.json<{ error: { message: string } }>().error.message,
    });
    expect(withHerId.text).not.toContain(juliasId);

    // Julia's own retry still finds her request.
    const retry = await julia.post('requests', { idempotencyKey: 'julia-00001', reason: 'backup' });
    expect(retry.status).toBe(200);
    expect(retry.json()).toEqual({ requestId: juliasId, started: false });
  }, 30_000);

  it('lets exactly one of two approvers deciding at once win, and tells the other who decided and how', async () => {
    const jonas = stack.as('jonas.keller@fabrikam.example');
    const created = await jonas.post('requests', { reason: 'backup' });
    expect(created.status).toBe(202);
    const { requestId } = created.json<{ requestId: string }>();
    await inState(requestId, 'AwaitingApproval', 'jonas.keller@fabrikam.example');
    const sofia = stack.as('sofia.marin@fabrikam.example');
    const hana = stack.as('hana.suzuki@fabrikam.example');
    await Promise.all([
      stack.token('sofia.marin@fabrikam.example'),
      stack.token('hana.suzuki@fabrikam.example'),
    ]);
    const [approve, reject] = await Promise.all([
      sofia.post(`requests/${requestId}/decision`, { approved: true }),
      hana.post(`requests/${requestId}/decision`, { approved: false }),
    ]);
    const answers = [approve, reject];
    expect(answers.map((a) => a.status).sort()).toEqual([202, 409]);
    const winner = answers.find((a) => a.status === 202)!.json<{ decision: string }>().decision;
    const loser = answers.find((a) => a.status === 409)!;
    expect(loser.json()).toMatchObject({ error: { code: 'ALREADY_DECIDED' } });
    const winnerName = winner === 'approved' ? 'Sofia Marin' : 'Hana Suzuki';
    expect(loser.json<{ error: { message: string } }>().error.message).toContain(
      `${winnerName} already ${winner}`,
    );
    // What the loser is told is what happens.
    const final = await inState(
      requestId,
      winner === 'approved' ? 'AwaitingStation' : 'Closed',
      'jonas.keller@fabrikam.example',
    );
    expect(final.decidedBy?.displayName).toBe(winnerName);
    // A double click by the winner is told the same.
    const again = await (winner === 'approved' ? sofia : hana).post(
      `requests/${requestId}/decision`,
      {
        approved: winner === 'approved',
      },
    );
    expect(again.status).toBe(409);
    expect(again.json<{ error: { message: string } }>().error.message).toContain(
      `You already ${winner}`,
    );
  }, 60_000);

  it('shows a lease id only to the operator holding it, and takes nothing under it from anyone else', async () => {
    const bulk = await stack.as('admin').post('manage/requests/bulk', {
      batchId: 'hostile-lease-1',
      requests: [{ user: 'chloe.dubois@fabrikam.example' }],
    });
    const requestId = bulk.json<{ results: { requestId: string }[] }>().results[0]!.requestId;
    const jobId = `job-${requestId}`;
    await inState(requestId, 'AwaitingStation');
    const omar = stack.as('operator');
    const felix = stack.as('felix.wagner@fabrikam.example');
    const claimed = await omar.post(`station/jobs/${jobId}/claim`, { stationId: 'mailroom-1' });
    expect(claimed.status, claimed.text).toBe(200);
    const { leaseId } = claimed.json<{ lease: { leaseId: string } }>().lease;

    const seenByOmar = (await omar.get('station/queue')).json<{
      jobs: { jobId: string; lease?: unknown }[];
    }>();
    expect(seenByOmar.jobs.find((j) => j.jobId === jobId)?.lease).toMatchObject({ leaseId });
    const seenByFelix = await felix.get('station/queue');
    expect(seenByFelix.status).toBe(200);
    expect(seenByFelix.text).not.toContain(leaseId);

    // Felix, holding the id anyway, can neither renew, fail nor claim it as the same station.
    const heartbeat = await felix.post(`station/jobs/${jobId}/heartbeat`, { leaseId });
    expect(heartbeat.status).toBe(409);
    const failure = await felix.post(`station/jobs/${jobId}/failure`, {
      leaseId,
      attempt: 1,
      reason: 'needs-reset',
      detail: 'not really',
    });
    expect(failure.status).toBe(409);
    const takeover = await felix.post(`station/jobs/${jobId}/claim`, { stationId: 'mailroom-1' });
    expect(takeover.status).toBe(409);
    expect(takeover.text).not.toContain(leaseId);
    // Omar still holds it.
    expect((await omar.post(`station/jobs/${jobId}/heartbeat`, { leaseId })).status).toBe(200);
  }, 60_000);

  it('reads the AAGUID and credential id from the attestation it verifies, against the options it issued', async () => {
    const bulk = await stack.as('admin').post('manage/requests/bulk', {
      batchId: 'hostile-attest-1',
      requests: [{ user: 'daniel.osei@fabrikam.example' }],
    });
    const requestId = bulk.json<{ results: { requestId: string }[] }>().results[0]!.requestId;
    await inState(requestId, 'AwaitingStation');
    const operator = stack.as('operator');
    const station = new TestStation(operator, 'mailroom-2');
    const job = claimed(
      await operator.post(`station/jobs/job-${requestId}/claim`, { stationId: 'mailroom-2' }),
    );
    // A key of another model, declared as the allowed one.
    const lying = await station.program(job, {
      aaguid: '2fc0579f-8113-47ea-b116-bb5a8db9202a',
      declare: { aaguid: VIRTUAL_KEY_AAGUID },
    });
    expect(lying.result.status, lying.result.text).toBe(422);
    expect(lying.result.json()).toMatchObject({ error: { code: 'DECLARED_MISMATCH' } });
    expect(lying.result.text).toContain('2fc0579f-8113-47ea-b116-bb5a8db9202a');
    // Another credential id than the key made.
    const renamed = await station.program(job, {
      attempt: 2,
      declare: { credentialId: 'c29tZS1vdGhlci1jcmVkZW50aWFs' },
    });
    expect(renamed.result.status, renamed.result.text).toBe(422);
    expect(renamed.result.json()).toMatchObject({ error: { code: 'DECLARED_MISMATCH' } });
    // A credential made for a challenge this service never issued.
    const replayed = await station.program(job, {
      tamper: (options) => ({
        ...options,
        publicKey: { ...options.publicKey, challenge: 'bm90LWlzc3VlZC1ieS10aGUtc2VydmljZQ' },
      }),
    });
    expect(replayed.result.status, replayed.result.text).toBe(422);
    expect(replayed.result.json()).toMatchObject({ error: { code: 'OPTIONS_NOT_ISSUED' } });
    // The same key made honestly registers.
    const honest = await station.program(job);
    expect(honest.result.status, honest.result.text).toBe(200);
  }, 60_000);
});
