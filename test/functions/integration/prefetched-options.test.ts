import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestView } from '../../../core/request/request-view.ts';
import { JobQueue } from '../../../functions/store/job-queue.ts';
import { openTable } from '../../../functions/store/open-table.ts';
import { startTestStack, type TestStack } from '../support/courier-stack.ts';
import { eventually } from '../support/eventually.ts';
import { claimed, TestStation } from '../support/test-station.ts';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({
    settings: {
      FIDO2_OPTIONS_API: 'beta',
      FIDO2_CHALLENGE_TIMEOUT_MINUTES: '60',
      COURIER_PREFETCH_OPTIONS: 'true',
    },
  });
}, 60_000);
afterAll(async () => stack?.stop());

async function queued(batchId: string, user: string): Promise<string> {
  const answer = await stack.as('admin').post('manage/requests/bulk', {
    batchId,
    requests: [{ user }],
  });
  expect(answer.json()).toMatchObject({ started: 1 });
  const requestId = answer.json<{ results: { requestId: string }[] }>().results[0]!.requestId;
  await eventually(async () => {
    const view = (await stack.as('admin').get(`requests/${requestId}`)).json<RequestView>();
    return view.state === 'AwaitingStation' ? true : undefined;
  }, 'the job to be queued');
  return requestId;
}

describe('creation options fetched at approval (beta, long challenge)', () => {
  it('hands out fresh pre-fetched options, and fetches expired ones again', async () => {
    const operator = stack.as('operator');
    const fresh = await queued('prefetch-1', 'grace.mensah@fabrikam.example');
    const job = claimed(
      await operator.post(`station/jobs/job-${fresh}/claim`, { stationId: 'mailroom-1' }),
    );
    const first = await operator.post(`station/jobs/${job.jobId}/creation-options`, {
      leaseId: job.leaseId,
    });
    expect(first.status, first.text).toBe(200);
    const prefetched = first.json<{ expiresAt: string; graphRequestId?: string }>();
    // Pre-fetched at approval: no Graph call now, and a challenge that lives an hour.
    expect(prefetched.graphRequestId).toBeUndefined();
    expect(Date.parse(prefetched.expiresAt) - Date.now()).toBeGreaterThan(55 * 60_000);
    const programmed = await new TestStation(operator, 'mailroom-1').program(job);
    expect(programmed.result.json()).toMatchObject({ outcome: 'registered' });

    // Pre-fetched options that sat in the queue past their challenge's expiry.
    const stale = await queued('prefetch-2', 'ivan.petrov@fabrikam.example');
    const jobs = new JobQueue(
      await openTable({
        tableName: 'CourierJobs',
        connectionString: stack.azurite.connectionString,
        caPem: stack.host.caPem,
      }),
    );
    const held = await eventually(async () => {
      const job = await jobs.get(`job-${stale}`);
      return job.prefetchedOptions ? job : undefined;
    }, 'the options to be pre-fetched');
    await jobs.setPrefetchedOptions(held.jobId, {
      options: held.prefetchedOptions!.options,
      expiresAt: new Date(Date.now() - 60_000).toISOString(),
    });
    const second = claimed(
      await operator.post(`station/jobs/job-${stale}/claim`, { stationId: 'mailroom-1' }),
    );
    const refetched = await operator.post(`station/jobs/${second.jobId}/creation-options`, {
      leaseId: second.leaseId,
    });
    expect(refetched.status, refetched.text).toBe(200);
    const body = refetched.json<{ expiresAt: string; graphRequestId?: string }>();
    expect(body.graphRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(body.expiresAt)).toBeGreaterThan(Date.now());
    const again = await new TestStation(operator, 'mailroom-1').program(second);
    expect(again.result.json()).toMatchObject({ outcome: 'registered' });
    // The stale options were dropped from the job.
    expect((await jobs.get(second.jobId)).prefetchedOptions).toBeUndefined();
  }, 60_000);
});
