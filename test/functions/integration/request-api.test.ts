import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestView } from '../../../core/request/request-view.ts';
import { startTestStack, type TestStack } from '../support/courier-stack.ts';
import { requestInState } from '../support/request-in-state.ts';
import { claimed, TestStation } from '../support/test-station.ts';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
}, 60_000);
afterAll(async () => stack?.stop());

function inState(requestId: string, state: RequestView['state'], who = 'admin') {
  return requestInState(stack, requestId, state, who);
}

describe('the requesters’ and approvers’ API', () => {
  it('sends a request to the fallback approvers when the manager is disabled', async () => {
    const jonas = stack.as('jonas.keller@fabrikam.example');
    const created = await jonas.post('requests', { reason: 'backup' });
    expect(created.status, created.text).toBe(202);
    const { requestId } = created.json<{ requestId: string }>();
    const waiting = await inState(requestId, 'AwaitingApproval', 'jonas.keller@fabrikam.example');
    expect(waiting.approvers.map((a) => a.displayName).sort()).toEqual([
      'Hana Suzuki',
      'Sofia Marin',
    ]);
    // Someone else's manager does not even see it.
    expect((await stack.as('manager').get(`requests/${requestId}`)).status).toBe(404);
    const sofia = stack.as('sofia.marin@fabrikam.example');
    const pending = await sofia.get('approvals/pending');
    expect(pending.json<{ requests: RequestView[] }>().requests[0]).toMatchObject({
      requestId,
      actions: ['approve'],
    });
    const rejected = await sofia.post(`requests/${requestId}/decision`, {
      approved: false,
      comment: 'You already have two keys.',
    });
    expect(rejected.status).toBe(202);
    const closed = await inState(requestId, 'Closed', 'jonas.keller@fabrikam.example');
    expect(closed).toMatchObject({
      outcome: 'rejected',
      decidedBy: { displayName: 'Sofia Marin' },
    });
  }, 30_000);

  it('never lets requesters approve their own request', async () => {
    const lars = stack.as('manager');
    const created = await lars.post('requests', { reason: 'lost' });
    expect(created.status).toBe(202);
    const { requestId } = created.json<{ requestId: string }>();
    await inState(requestId, 'AwaitingApproval', 'manager');
    const own = await lars.post(`requests/${requestId}/decision`, { approved: true });
    expect(own.status).toBe(403);
    expect(own.json()).toMatchObject({ error: { code: 'SELF_APPROVAL' } });
    // Not an approver of this request either.
    const stranger = await stack.as('employee').post(`requests/${requestId}/decision`, {
      approved: true,
    });
    expect(stranger.status).toBe(404);
    // One open request at a time; cancelling frees the way for the next.
    const second = await lars.post('requests', { reason: 'backup' });
    expect(second.status).toBe(409);
    expect(second.json()).toMatchObject({ error: { code: 'OPEN_REQUEST_EXISTS' } });
    expect((await lars.post(`requests/${requestId}/cancel`)).status).toBe(202);
    const cancelled = await inState(requestId, 'Closed', 'manager');
    expect(cancelled.outcome).toBe('cancelled');
  }, 30_000);

  it('validates bodies at the boundary and says what is wrong', async () => {
    const employee = stack.as('employee');
    const bad = await employee.post('requests', { reason: 'because', extra: 1 });
    expect(bad.status).toBe(400);
    const message = bad.json<{ error: { code: string; message: string } }>().error;
    expect(message.code).toBe('INVALID_REQUEST');
    expect(message.message).toContain('body.reason');
    expect(message.message).toContain('extra');
    const unknownClass = await employee.post('requests', {
      reason: 'backup',
      keyClass: 'Titanium key',
    });
    expect(unknownClass.json()).toMatchObject({ error: { code: 'UNKNOWN_KEY_CLASS' } });
  });

  it('revokes a completed key reported lost and starts its replacement', async () => {
    const bulk = await stack.as('admin').post('manage/requests/bulk', {
      batchId: 'lost-key-1',
      requests: [
        { user: 'elin.nyberg@fabrikam.example' },
        { user: 'nobody@fabrikam.example' },
        { user: 'tomas.berg@fabrikam.example' },
        { reason: 'new-hire' },
      ],
    });
    expect(bulk.status, bulk.text).toBe(200);
    const rows = bulk.json<{
      results: { status: string; requestId?: string; error?: { code: string } }[];
    }>().results;
    // A bad row is reported with what to fix and stops nothing else.
    expect(rows.map((r) => r.status)).toEqual(['started', 'error', 'error', 'error']);
    expect(rows.slice(1).map((r) => r.error?.code)).toEqual([
      'USER_NOT_FOUND',
      'USER_DISABLED',
      'INVALID_ROW',
    ]);
    // Sending the batch again starts nothing twice.
    const again = await stack.as('admin').post('manage/requests/bulk', {
      batchId: 'lost-key-1',
      requests: [{ user: 'elin.nyberg@fabrikam.example' }],
    });
    expect(again.json()).toMatchObject({ started: 0, existing: 1 });

    const requestId = rows[0]!.requestId!;
    await inState(requestId, 'AwaitingStation');
    const station = new TestStation(stack.as('operator'), 'mailroom-1');
    const job = claimed(
      await stack.as('operator').post(`station/jobs/job-${requestId}/claim`, {
        stationId: 'mailroom-1',
      }),
    );
    const programmed = await station.program(job);
    const { methodId } = programmed.result.json<{ methodId: string }>();
    await station.confirmPinChange(job);
    await station.ship(job);
    const elin = stack.as('elin.nyberg@fabrikam.example');
    await inState(requestId, 'Shipped');
    await elin.post(`requests/${requestId}/delivery`, {
      serialLastDigits: String(programmed.serial).slice(-6),
    });
    expect((await elin.post(`requests/${requestId}/pin`)).status).toBe(200);
    await inState(requestId, 'Completed');

    const lost = await elin.post(`requests/${requestId}/lost`, { replace: true });
    expect(lost.status, lost.text).toBe(202);
    const { replacementRequestId } = lost.json<{ replacementRequestId: string }>();
    const revoked = await inState(requestId, 'Revoked');
    expect(revoked.outcome).toBe('lost');
    const elinUser = stack.tenant.directory.findUser('elin.nyberg@fabrikam.example')!;
    const methods = stack.tenant.controls.inspect().methods.filter((m) => m.userId === elinUser.id);
    expect(methods.map((m) => m.id)).not.toContain(methodId);
    // The replacement goes to the manager like any request, marked as replacing the lost one.
    const replacement = await inState(replacementRequestId, 'AwaitingApproval');
    expect(replacement).toMatchObject({ reason: 'lost', replaces: requestId });
  }, 60_000);
});
