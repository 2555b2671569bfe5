import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  isTerminal,
  removeTemporaryFolders,
  startSampleHost,
  type SampleHost,
} from './support/sample-host.ts';

let sample: SampleHost;

beforeAll(async () => {
  sample = await startSampleHost();
});
afterAll(async () => {
  await sample.close();
  removeTemporaryFolders();
});

const approvalInput = { requestId: 'req-42', reminderHours: 4, maxReminders: 3 };

describe('df.getClient(context) in HTTP functions, against the host', () => {
  it('starts an orchestration with a caller-chosen id and answers the check-status response', async () => {
    const response = await sample.call('POST', '/api/orchestrators/approval/req-42', {
      body: approvalInput,
    });
    expect(response.status).toBe(202);
    const links = response.json<Record<string, string>>();
    const instanceUrl = `${sample.host.url}/runtime/webhooks/durabletask/instances/req-42`;
    const query = 'taskHub=SampleHub&connection=DURABLE_TASK_SCHEDULER_CONNECTION_STRING';
    expect(links).toEqual({
      id: 'req-42',
      purgeHistoryDeleteUri: `${instanceUrl}?${query}`,
      sendEventPostUri: `${instanceUrl}/raiseEvent/{eventName}?${query}`,
      statusQueryGetUri: `${instanceUrl}?${query}`,
      terminatePostUri: `${instanceUrl}/terminate?reason={text}&${query}`,
      rewindPostUri: `${instanceUrl}/rewind?reason={text}&${query}`,
      restartPostUri: `${instanceUrl}/restart?${query}`,
      suspendPostUri: `${instanceUrl}/suspend?reason={text}&${query}`,
      resumePostUri: `${instanceUrl}/resume?reason={text}&${query}`,
    });
    expect(response.headers.location).toBe(links.statusQueryGetUri);
    expect(response.headers['retry-after']).toBe('10');
    await sample.waitFor('req-42', (r) => r.runtimeStatus === 'Running');
  });

  it('refuses to start an id that is still running, as DurableClient reports it', async () => {
    const response = await sample.call('POST', '/api/client/start/req-42', {
      body: { name: 'approval', input: approvalInput },
    });
    expect(response.status).toBe(500);
    expect(response.json()).toEqual({
      error:
        'The operation failed with an unexpected status code: 409. Details: {"Message":"An Orchestration instance with the status Running already exists."}',
    });
  });

  it('returns from getStatus exactly what the extension API says, as DurableOrchestrationStatus', async () => {
    const raw = await sample.call('GET', '/runtime/webhooks/durabletask/instances/req-42');
    expect(raw.status).toBe(202);
    expect(raw.headers.location).toBe(
      `${sample.host.url}/runtime/webhooks/durabletask/instances/req-42`,
    );
    expect(raw.headers['retry-after']).toBe('5');
    const payload = raw.json<Record<string, unknown>>();
    expect(payload).toEqual({
      name: 'approval',
      instanceId: 'req-42',
      runtimeStatus: 'Running',
      input: approvalInput,
      customStatus: { stage: 'awaiting approval', reminders: 0 },
      output: null,
      createdTime: '2026-03-02T09:00:00Z',
      lastUpdatedTime: '2026-03-02T09:00:00Z',
    });

    const viaClient = await sample.call('GET', '/api/client/status/req-42');
    expect(viaClient.status).toBe(200);
    // DurableOrchestrationStatus: the same members, times as Dates (serialised back to ISO).
    expect(viaClient.json()).toEqual({
      ...payload,
      createdTime: '2026-03-02T09:00:00.000Z',
      lastUpdatedTime: '2026-03-02T09:00:00.000Z',
    });
  });

  it('lists running instances through getStatusBy', async () => {
    const list = await sample.call('GET', '/api/client/list');
    const instances = list.json<{ instanceId: string; runtimeStatus: string }[]>();
    expect(instances.map((i) => [i.instanceId, i.runtimeStatus])).toContainEqual([
      'req-42',
      'Running',
    ]);
  });

  it('raises an event that completes the approval', async () => {
    const raised = await sample.call('POST', '/api/client/raise/req-42', {
      body: { event: 'Approval', data: { approved: true, by: 'manager@contoso' } },
    });
    expect(raised.status).toBe(202);
    const done = await sample.waitFor('req-42', isTerminal);
    expect(done.output).toMatchObject({ outcome: 'approved', by: 'manager@contoso' });

    const status = await sample.call('GET', '/api/client/status/req-42');
    expect(status.json()).toMatchObject({
      runtimeStatus: 'Completed',
      output: { outcome: 'approved', by: 'manager@contoso' },
      customStatus: { stage: 'approved' },
    });
    const raw = await sample.call(
      'GET',
      '/runtime/webhooks/durabletask/instances/req-42?showHistory=true&showHistoryOutput=true',
    );
    expect(raw.status).toBe(200);
    const history = raw.json<{ historyEvents: { EventType: string }[] }>().historyEvents;
    expect(history.map((e) => e.EventType)).toEqual([
      'ExecutionStarted',
      'TimerCreated',
      'EventRaised',
      'ExecutionCompleted',
    ]);
  });

  it('reports raising to an unknown instance, and ignores raising to a finished one', async () => {
    const unknown = await sample.call('POST', '/api/client/raise/nobody', {
      body: { event: 'Approval', data: {} },
    });
    expect(unknown.json()).toEqual({ error: "No instance with ID 'nobody' found." });
    const finished = await sample.call('POST', '/api/client/raise/req-42', {
      body: { event: 'Approval', data: {} },
    });
    expect(finished.status).toBe(202);
  });

  it('terminates through the client, then purges the finished instance', async () => {
    await sample.call('POST', '/api/client/start/to-terminate', {
      body: { name: 'approval', input: { ...approvalInput, requestId: 'to-terminate' } },
    });
    await sample.waitFor('to-terminate', (r) => r.runtimeStatus === 'Running');
    const terminated = await sample.call('POST', '/api/client/terminate/to-terminate', {
      body: { reason: 'withdrawn by the requester' },
    });
    expect(terminated.status).toBe(202);
    const done = await sample.waitFor('to-terminate', isTerminal);
    expect(done.runtimeStatus).toBe('Terminated');
    const status = await sample.call('GET', '/api/client/status/to-terminate');
    expect(status.json()).toMatchObject({
      runtimeStatus: 'Terminated',
      output: 'withdrawn by the requester',
    });

    const purged = await sample.call('POST', '/api/client/purge/to-terminate', { body: {} });
    expect(purged.json()).toEqual({ instancesDeleted: 1 });
    const gone = await sample.call('GET', '/api/client/status/to-terminate');
    expect(gone.json<{ error: string }>().error).toMatch(/HTTP 404/);
  });

  it('builds management links on the host URL (WEBSITE_HOSTNAME), as in Azure', async () => {
    const links = await sample.call('GET', '/api/client/links/some-id');
    expect(links.json<Record<string, string>>().statusQueryGetUri).toBe(
      `${sample.host.url}/runtime/webhooks/durabletask/instances/some-id?taskHub=SampleHub&connection=DURABLE_TASK_SCHEDULER_CONNECTION_STRING`,
    );
  });

  it('reports which backend the app configuration selects and serves its own store', () => {
    expect(sample.host.durable).toEqual({
      hubName: 'SampleHub',
      backend: 'durableTaskScheduler',
      connectionName: 'DURABLE_TASK_SCHEDULER_CONNECTION_STRING',
    });
    expect(sample.host.durableClientUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/durabletask\/$/);
  });
});
