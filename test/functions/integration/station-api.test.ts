import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestView } from '../../../core/request/request-view.ts';
import { startTestStack, signIn, type TestStack } from '../support/courier-stack.ts';
import { eventually } from '../support/eventually.ts';
import { TestStation } from '../support/test-station.ts';
import { queueJobs } from '../../station/support/station-harness.ts';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
}, 60_000);
afterAll(async () => stack?.stop());

/** Pre-approved requests through the admin API: the quickest way to put jobs in the queue. */
const queuedJobs = (batchId: string, users: string[]) => queueJobs(stack, batchId, users);

async function requestState(requestId: string): Promise<RequestView> {
  const answer = await stack.as('admin').get(`requests/${requestId}`);
  expect(answer.status, answer.text).toBe(200);
  return answer.json<RequestView>();
}

describe('the station API', () => {
  it('lets exactly one of two racing stations have a job', async () => {
    const [jobId] = await queuedJobs('race-1', ['lina.haddad@fabrikam.example']);
    const omar = new TestStation(stack.as('operator'), 'mailroom-omar');
    const felix = new TestStation(stack.as('felix.wagner@fabrikam.example'), 'mailroom-felix');
    // Both go for the same job by id at the same moment.
    const [a, b] = await Promise.all([omar.claim(jobId!), felix.claim(jobId!)]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const winner = a.status === 200 ? a : b;
    const loser = a.status === 200 ? b : a;
    expect(loser.json()).toMatchObject({ error: { code: 'CONFLICT' } });
    expect(loser.json<{ error: { message: string } }>().error.message).toContain('held by station');
    // claim-next skips the held job rather than handing it out twice.
    const next = await (a.status === 200 ? felix : omar).claimNext();
    expect(next?.jobId).not.toBe(jobId);
    // The loser cannot work on it without the lease.
    const sneaky = await stack
      .as('felix.wagner@fabrikam.example')
      .post(`station/jobs/${jobId}/creation-options`, { leaseId: 'not-my-lease' });
    expect(sneaky.status).toBe(409);
    expect(sneaky.json()).toMatchObject({ error: { code: 'LEASE_LOST' } });
    expect(winner.json()).toMatchObject({ job: { jobId, state: 'leased' } });
  }, 30_000);

  it('hands a job to another station when the first one stops sending heartbeats', async () => {
    const [jobId] = await queuedJobs('lease-1', ['chloe.dubois@fabrikam.example']);
    const first = new TestStation(stack.as('operator'), 'mailroom-a');
    const second = new TestStation(stack.as('felix.wagner@fabrikam.example'), 'mailroom-b');
    const held = (await first.claim(jobId!, 5)).json<{ lease: { leaseId: string } }>();
    const heartbeat = await stack
      .as('operator')
      .post(`station/jobs/${jobId}/heartbeat`, { leaseId: held.lease.leaseId, leaseSeconds: 5 });
    expect(heartbeat.status, heartbeat.text).toBe(200);
    // While the lease is live nobody else gets the job.
    expect((await second.claim(jobId!)).status).toBe(409);

    // The first station goes quiet; once its lease lapses the job is free again.
    const taken = await eventually(
      async () => {
        const answer = await second.claim(jobId!);
        return answer.status === 200 ? answer : undefined;
      },
      'the lapsed lease to free the job',
      15_000,
    );
    const job = taken.json<{ job: { attempts: number }; lease: { leaseId: string } }>();
    expect(job.job.attempts).toBe(1);
    const late = await stack
      .as('operator')
      .post(`station/jobs/${jobId}/heartbeat`, { leaseId: held.lease.leaseId });
    expect(late.status).toBe(409);
    expect(late.json()).toMatchObject({ error: { code: 'LEASE_LOST' } });

    const programmed = await second.program({
      jobId: jobId!,
      requestId: jobId!.slice(4),
      leaseId: job.lease.leaseId,
      attempts: job.job.attempts,
    });
    expect(programmed.result.json()).toMatchObject({ outcome: 'registered' });
    expect((await requestState(jobId!.slice(4))).state).toBe('Registered');
  }, 40_000);

  it('refuses calls without a valid token or without the Station.Operator role', async () => {
    const target = { url: stack.host.url, caPem: stack.host.caPem };
    const { httpsCall } = await import('../../local/host/support/https-call.ts');
    const anonymous = await httpsCall(target, 'GET', '/api/station/jobs');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['www-authenticate']).toBe('Bearer');
    expect(anonymous.json()).toMatchObject({ error: { code: 'MISSING_TOKEN' } });

    const employee = await stack.as('employee').get('station/jobs');
    expect(employee.status).toBe(403);
    expect(employee.json<{ error: { code: string; message: string } }>().error).toMatchObject({
      code: 'FORBIDDEN',
      message: expect.stringContaining('Station.Operator'),
    });
    expect((await stack.as('employee').get('station/pin-envelope-key')).status).toBe(403);
    expect((await stack.as('operator').get('manage/audit')).status).toBe(403);

    // A token for another API (Graph) and a token with a forged signature.
    const graphToken = await signIn(stack, 'operator', 'https://graph.microsoft.com/User.Read');
    const wrongAudience = await httpsCall(target, 'GET', '/api/station/jobs', {
      headers: { authorization: `Bearer ${graphToken}` },
    });
    expect(wrongAudience.status).toBe(401);
    expect(wrongAudience.json()).toMatchObject({ error: { code: 'WRONG_AUDIENCE' } });
    const good = await stack.token('operator');
    const [header, payload, signature] = good.split('.');
    const flipped = signature!.startsWith('A')
      ? `B${signature!.slice(1)}`
      : `A${signature!.slice(1)}`;
    const forged = await httpsCall(target, 'GET', '/api/station/jobs', {
      headers: { authorization: `Bearer ${header}.${payload}.${flipped}` },
    });
    expect(forged.status).toBe(401);
    expect(forged.json()).toMatchObject({ error: { code: 'INVALID_TOKEN' } });
    // Error answers never echo the token.
    expect(forged.text).not.toContain(payload!);
  }, 30_000);

  it('fails a request the tenant policy refuses, saying why', async () => {
    stack.tenant.controls.editPolicy({ isSelfServiceRegistrationAllowed: false });
    try {
      const [jobId] = await queuedJobs('policy-1', ['ahmed.karimi@fabrikam.example']);
      const station = new TestStation(stack.as('operator'), 'mailroom-1');
      const job = await station.claim(jobId!);
      const held = job.json<{ job: { attempts: number }; lease: { leaseId: string } }>();
      const programmed = await station.program({
        jobId: jobId!,
        requestId: jobId!.slice(4),
        leaseId: held.lease.leaseId,
        attempts: held.job.attempts,
      });
      expect(programmed.result.json()).toMatchObject({
        outcome: 'refused',
        reason: 'SELF_SERVICE_DISABLED',
        retry: false,
      });
      const failed = await eventually(async () => {
        const current = await requestState(jobId!.slice(4));
        return current.state === 'Failed' ? current : undefined;
      }, 'the request to fail');
      expect(failed.outcome).toBe('SELF_SERVICE_DISABLED');
      expect(failed.outcomeMessage).toMatch(/self-service/i);
      // The job is closed: the station's lease is gone.
      const after = await stack
        .as('operator')
        .post(`station/jobs/${jobId}/heartbeat`, { leaseId: held.lease.leaseId });
      expect(after.json()).toMatchObject({ error: { code: 'LEASE_LOST' } });
    } finally {
      stack.tenant.controls.editPolicy({ isSelfServiceRegistrationAllowed: true });
    }
  }, 30_000);

  it('refuses a key outside the job key class, and lets the station report the failure', async () => {
    const [jobId] = await queuedJobs('class-1', ['daniel.osei@fabrikam.example']);
    const station = new TestStation(stack.as('operator'), 'mailroom-1');
    const job = (await station.claim(jobId!)).json<{
      job: { attempts: number };
      lease: { leaseId: string };
    }>();
    const claimedJob = {
      jobId: jobId!,
      requestId: jobId!.slice(4),
      leaseId: job.lease.leaseId,
      attempts: job.job.attempts,
    };
    const wrongModel = await station.program(claimedJob, {
      aaguid: '2fc0579f-8113-47ea-b116-bb5a8db9202a',
    });
    expect(wrongModel.result.status).toBe(422);
    expect(wrongModel.result.json()).toMatchObject({ error: { code: 'WRONG_KEY_CLASS' } });
    const reported = await station.fail(claimedJob, 'wrong-key-class', 'a YubiKey was plugged in');
    expect(reported.status, reported.text).toBe(200);
    // Reporting again (a retried call) is harmless.
    expect((await station.fail(claimedJob, 'wrong-key-class')).status).toBe(200);
    await eventually(async () => {
      const records = (
        await stack.as('admin').get(`manage/audit?requestId=${jobId!.slice(4)}`)
      ).json<{ records: { event?: string }[] }>().records;
      return records.some((r) => r.event === 'key-failed') ? true : undefined;
    }, 'the key failure in the audit trail');
    // Back in the queue for the next station.
    const again = await station.claim(jobId!);
    expect(again.status).toBe(200);
  }, 30_000);
});
