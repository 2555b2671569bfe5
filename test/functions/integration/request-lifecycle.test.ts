import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestView } from '../../../core/request/request-view.ts';
import { requestInstanceId } from '../../../functions/workflow/request-input.ts';
import { startTestStack, type TestStack } from '../support/courier-stack.ts';
import { requestInState } from '../support/request-in-state.ts';
import { TestStation } from '../support/test-station.ts';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
}, 60_000);
afterAll(async () => stack?.stop());

function inState(requestId: string, state: RequestView['state'], who = 'employee') {
  return requestInState(stack, requestId, state, who);
}

describe('a key request from asking to the PIN, through the local host over HTTPS', () => {
  it('runs the whole lifecycle with the Graph gateway and the local tenant', async () => {
    const employee = stack.as('employee');
    const idempotencyKey = 'life-0001-maja';
    const created = await employee.post('requests', { idempotencyKey, reason: 'new-hire' });
    expect(created.status, created.text).toBe(202);
    const { requestId } = created.json<{ requestId: string }>();
    expect(created.headers.location).toBe(`/api/requests/${requestId}`);
    // Sending the same key again is safe: it finds the same request.
    const again = await employee.post('requests', { idempotencyKey, reason: 'new-hire' });
    expect(again.status).toBe(200);
    expect(again.json()).toMatchObject({ requestId, started: false });

    const waiting = await inState(requestId, 'AwaitingApproval');
    expect(waiting.approvers.map((a) => a.displayName)).toEqual(['Lars Eriksson']);
    const pending = await stack.as('manager').get('approvals/pending');
    expect(pending.json<{ requests: RequestView[] }>().requests.map((r) => r.requestId)).toContain(
      requestId,
    );
    const decided = await stack.as('manager').post(`requests/${requestId}/decision`, {
      approved: true,
      comment: 'Welcome aboard',
    });
    expect(decided.status, decided.text).toBe(202);
    await inState(requestId, 'AwaitingStation');

    const station = new TestStation(stack.as('operator'), 'mailroom-1');
    const job = await station.claimNext();
    expect(job?.requestId).toBe(requestId);
    const programmed = await station.program(job!);
    expect(programmed.result.status, programmed.result.text).toBe(200);
    const outcome = programmed.result.json<{ outcome: string; methodId: string }>();
    expect(outcome.outcome).toBe('registered');
    const maja = stack.tenant.directory.personas.get('employee')!;
    const methods = stack.tenant.controls.inspect().methods.filter((m) => m.userId === maja.id);
    expect(methods.map((m) => m.id)).toContain(outcome.methodId);

    expect((await station.confirmPinChange(job!)).status).toBe(200);
    const shipped = await station.ship(job!);
    expect(shipped.status, shipped.text).toBe(200);
    const inTransit = await inState(requestId, 'Shipped');
    expect(inTransit).toMatchObject({
      trackingNumber: 'JD014600006281234567',
      carrier: 'PostNord',
    });
    expect(inTransit.actions).toEqual(['cancel', 'confirm-delivery', 'report-lost']);

    // The PIN is not available before delivery is confirmed with the key's serial.
    expect((await employee.post(`requests/${requestId}/pin`)).status).toBe(409);
    const wrong = await employee.post(`requests/${requestId}/delivery`, {
      serialLastDigits: '0000',
    });
    expect(wrong.status).toBe(422);
    expect(wrong.json()).toMatchObject({ error: { code: 'SERIAL_MISMATCH' } });
    const digits = String(programmed.serial).slice(-4);
    const confirmed = await employee.post(`requests/${requestId}/delivery`, {
      serialLastDigits: digits,
    });
    expect(confirmed.status, confirmed.text).toBe(200);

    // Nobody but the requester gets the PIN, and the requester gets it once.
    expect((await stack.as('manager').post(`requests/${requestId}/pin`)).status).toBe(403);
    const revealed = await employee.post(`requests/${requestId}/pin`);
    expect(revealed.status, revealed.text).toBe(200);
    expect(revealed.json()).toMatchObject({ pin: programmed.pin, mustChangeAtFirstUse: true });
    expect(revealed.headers['cache-control']).toBe('no-store');
    const second = await employee.post(`requests/${requestId}/pin`);
    expect(second.status).toBe(410);

    const done = await inState(requestId, 'Completed');
    expect(done.actions).toEqual(['report-lost']);

    // The audit trail has one record per transition with the key's identity and Graph's ids.
    const audit = await stack.as('admin').get(`manage/audit?requestId=${requestId}`);
    expect(audit.status, audit.text).toBe(200);
    const records = audit.json<{ records: Record<string, unknown>[] }>().records;
    const states = records.map((r) => r.to);
    expect(states).toEqual(
      expect.arrayContaining([
        'Requested',
        'AwaitingApproval',
        'AwaitingStation',
        'Programming',
        'Registered',
        'Shipped',
        'PinReleased',
        'Completed',
      ]),
    );
    const registered = records.find((r) => r.event === 'registered')!;
    expect(registered).toMatchObject({
      keySerial: programmed.serial,
      aaguid: '6e8b3c2a-5d1f-4f7e-9a0c-2b4d6f8a1c3e',
      graphMethodId: outcome.methodId,
      stationId: 'mailroom-1',
      operator: { id: stack.tenant.directory.personas.get('operator')!.id },
    });
    expect(registered.graphRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(records.find((r) => r.event === 'approved')).toMatchObject({
      approver: { displayName: 'Lars Eriksson' },
    });
    expect(records.find((r) => r.event === 'shipped')).toMatchObject({
      trackingNumber: 'JD014600006281234567',
    });

    // The PIN is nowhere: not in the audit trail, not in the orchestration's history or status.
    const instance = stack.host.engine.get(requestInstanceId(requestId))!;
    for (const text of [audit.text, JSON.stringify(instance)]) {
      expect(text).not.toContain(programmed.pin);
    }

    // IT finds the request by the key's serial.
    const found = await stack.as('admin').get(`manage/requests/find?serial=${programmed.serial}`);
    expect(
      found.json<{ requests: { requestId: string }[] }>().requests.map((r) => r.requestId),
    ).toEqual([requestId]);
  }, 60_000);
});
