import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RequestIndex, RequestIndexError } from '../../../functions/store/request-index.ts';
import { startAzurite, type AzuriteTables } from '../../support/azurite.ts';

let azurite: AzuriteTables;
beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => azurite.stop());

let index: RequestIndex;
let tables = 0;
beforeEach(async () => {
  tables += 1;
  index = new RequestIndex(await azurite.table(`requests${tables}`));
});

const maja = { id: 'AAAA-maja', displayName: 'Maja Lind' };
const lars = { id: 'bbbb-lars', displayName: 'Lars Eriksson' };
const sofia = { id: 'cccc-sofia', displayName: 'Sofia Marin' };
const keyClass = {
  name: 'YubiKey 5 Series',
  allowedAaguids: ['2fc0579f-8113-47ea-b116-bb5a8db9202a'],
  minimumFirmware: '5.7.0',
};

function first(requestId: string, requestedAt = '2026-11-28T09:00:00.000Z') {
  return index.applyStep(
    requestId,
    1,
    { state: 'Requested', updatedAt: requestedAt },
    {
      requestId,
      instanceId: `courier-request-${requestId}`,
      jobId: `job-${requestId}`,
      requester: maja,
      reason: 'new-hire',
      keyClass,
      requestedAt,
    },
  );
}

describe('the request index', () => {
  it('lists a requester their requests, newest first, whatever the case of their id', async () => {
    await first('req-00000001', '2026-11-28T09:00:00.000Z');
    await first('req-00000002', '2026-11-28T10:00:00.000Z');
    const mine = await index.listForRequester('aaaa-MAJA');
    expect(mine.map((r) => r.requestId)).toEqual(['req-00000002', 'req-00000001']);
    expect(await index.listForRequester(lars.id)).toEqual([]);
  });

  it('applies steps in order only: a retried older step cannot roll a request back', async () => {
    await first('req-00000003');
    await index.applyStep('req-00000003', 2, {
      state: 'AwaitingApproval',
      updatedAt: '2026-11-28T09:00:01.000Z',
      approvers: [lars],
    });
    await index.applyStep('req-00000003', 3, {
      state: 'AwaitingStation',
      updatedAt: '2026-11-28T09:05:00.000Z',
      decidedBy: lars,
    });
    const replayed = await index.applyStep('req-00000003', 2, {
      state: 'AwaitingApproval',
      updatedAt: '2026-11-28T09:00:01.000Z',
    });
    expect(replayed.state).toBe('AwaitingStation');
    expect((await index.get('req-00000003')).state).toBe('AwaitingStation');
  });

  it('shows each approver their pending decisions and drops them once decided', async () => {
    await first('req-00000004');
    await index.applyStep('req-00000004', 2, {
      state: 'AwaitingApproval',
      updatedAt: '2026-11-28T09:00:01.000Z',
      approvers: [lars],
    });
    expect((await index.listPendingFor(lars.id)).map((r) => r.requestId)).toEqual(['req-00000004']);
    // Escalation adds the fallback approvers; everyone sees the request.
    await index.applyStep('req-00000004', 3, {
      state: 'AwaitingApproval',
      updatedAt: '2026-11-29T09:00:01.000Z',
      approvers: [lars, sofia],
    });
    expect((await index.listPendingFor(sofia.id)).map((r) => r.requestId)).toEqual([
      'req-00000004',
    ]);
    await index.applyStep('req-00000004', 4, {
      state: 'AwaitingStation',
      updatedAt: '2026-11-29T10:00:00.000Z',
      decidedBy: sofia,
    });
    expect(await index.listPendingFor(lars.id)).toEqual([]);
    expect(await index.listPendingFor(sofia.id)).toEqual([]);
  });

  it("records the requester's own steps under the ETag, deciding from the current summary", async () => {
    await first('req-00000005');
    const seen: number[] = [];
    const updated = await index.applyRequesterStep('req-00000005', (current) => {
      seen.push(current.wrongSerialAttempts ?? 0);
      return { wrongSerialAttempts: (current.wrongSerialAttempts ?? 0) + 1 };
    });
    expect(updated.wrongSerialAttempts).toBe(1);
    expect(seen).toEqual([0]);
    // A requester step does not count as a workflow step.
    expect(updated.step).toBe(1);
  });

  it('refuses a first step without the summary, and bad ids, with codes', async () => {
    await expect(
      index.applyStep('req-00000006', 2, { state: 'AwaitingApproval' }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(index.get('bad/id')).rejects.toBeInstanceOf(RequestIndexError);
    await expect(index.get('req-missing1')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
