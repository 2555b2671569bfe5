import { createHash } from 'node:crypto';
import type { TableClient } from '@azure/data-tables';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { JobQueue } from '../../../functions/store/job-queue.ts';
import { JobQueueError } from '../../../functions/store/job-queue-error.ts';
import type { NewJob } from '../../../functions/store/job-record.ts';
import { startAzurite, type AzuriteTables } from '../../support/azurite.ts';

const YUBIKEY_5_NFC = 'fa2b99dc-9e39-4257-8f92-4a30d23c4118';
const START = Date.parse('2026-05-04T08:00:00.000Z');

let azurite: AzuriteTables;
beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  await azurite.stop();
});

let tableCount = 0;
let table: TableClient;
let clock: { now: () => number; advance: (seconds: number) => void };
/** A queue as one process (a station's API call, the workflow) sees it: same table, own object. */
let queue: (options?: { newLeaseId?: () => string }) => JobQueue;

beforeEach(async () => {
  tableCount += 1;
  table = await azurite.table(`jobs${tableCount}`);
  let current = START;
  clock = { now: () => current, advance: (seconds) => (current += seconds * 1000) };
  queue = (options = {}) => new JobQueue(table, { now: clock.now, ...options });
});

function job(jobId: string, approvedAt = '2026-05-04T07:00:00.000Z'): NewJob {
  return {
    jobId,
    requestId: `req-${jobId}`,
    instanceId: `request-req-${jobId}`,
    keyClass: { name: 'YubiKey 5 NFC', allowedAaguids: [YUBIKEY_5_NFC], minimumFirmware: '5.7.0' },
    recipient: {
      userId: '0b9a3c6e-52b4-4c5e-9a43-1a2b3c4d5e6f',
      displayName: 'Maja Lind',
      userPrincipalName: 'maja.lind@fabrikam.example',
      shippingAddress: 'Storgatan 1, 111 22 Stockholm',
    },
    approvedAt,
  };
}

function digest(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}

const registration = {
  methodId: 'bWV0aG9kLTE',
  credentialId: 'Y3JlZGVudGlhbC1pZC0wMDAx',
  aaguid: YUBIKEY_5_NFC,
  serial: 31_415_926,
};

async function expectCode(promise: Promise<unknown>, code: string): Promise<JobQueueError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(JobQueueError);
  expect((error as JobQueueError).code).toBe(code);
  return error as JobQueueError;
}

describe('JobQueue: enqueue and read', () => {
  it('enqueues idempotently by jobId and refuses the id for another request', async () => {
    const q = queue();
    const first = await q.enqueue(job('j1'));
    expect(first).toMatchObject({ state: 'queued', attempts: 0, jobId: 'j1' });
    expect(first.lease).toBeUndefined();
    clock.advance(10);
    expect(await q.enqueue(job('j1'))).toEqual(first);
    expect(await q.get('j1')).toEqual(first);
    const conflict = await expectCode(
      q.enqueue({ ...job('j1'), requestId: 'someone-else' }),
      'CONFLICT',
    );
    expect(conflict.message).toContain('req-j1');
    await expectCode(q.get('nope'), 'NOT_FOUND');
  });

  it('validates what it is given, and refuses ids a table key cannot hold', async () => {
    const q = queue();
    await expectCode(q.enqueue({ ...job('a/b') }), 'INVALID_INPUT');
    await expectCode(q.enqueue({ ...job('j1'), approvedAt: 'yesterday' }), 'INVALID_INPUT');
    await expectCode(q.claim('j1', 'bad station id!', 60), 'INVALID_INPUT');
    await expectCode(q.claim('j1', 'station-a', 0), 'INVALID_INPUT');
  });

  it('reports a stored job that is not in its shape as CORRUPT_RECORD', async () => {
    await table.createEntity({ partitionKey: 'job', rowKey: 'broken', state: 'flying' });
    await expectCode(queue().get('broken'), 'CORRUPT_RECORD');
  });
});

describe('JobQueue: listing and claiming', () => {
  it('lists available jobs oldest approval first, ties by jobId, without live leases', async () => {
    const q = queue();
    await q.enqueue(job('c', '2026-05-04T07:00:00.000Z'));
    await q.enqueue(job('b', '2026-05-04T07:00:00.000Z'));
    await q.enqueue(job('a', '2026-05-04T07:30:00.000Z'));
    await q.enqueue(job('d', '2026-05-03T23:00:00.000Z'));
    expect((await q.listAvailable()).map((j) => j.jobId)).toEqual(['d', 'b', 'c', 'a']);
    expect((await q.listAvailable({ limit: 2 })).map((j) => j.jobId)).toEqual(['d', 'b']);
    await q.claim('b', 'station-a', 60);
    expect((await q.listAvailable()).map((j) => j.jobId)).toEqual(['d', 'c', 'a']);
    const next = await q.claimNext('station-b', 60);
    expect(next?.job.jobId).toBe('d');
    expect((await q.listByState(['leased'])).map((j) => j.jobId)).toEqual(['d', 'b']);
  });

  it('lets exactly one of several stations win each job, however they race', async () => {
    const jobs = Array.from({ length: 12 }, (_, i) => `race-${String(i).padStart(2, '0')}`);
    for (const id of jobs) await queue().enqueue(job(id));
    const stations = ['station-a', 'station-b', 'station-c', 'station-d'];
    for (const id of jobs) {
      const outcomes = await Promise.allSettled(
        stations.map((station) => queue().claim(id, station, 120)),
      );
      const winners = outcomes.filter((o) => o.status === 'fulfilled');
      const losers = outcomes.filter((o) => o.status === 'rejected');
      expect(winners).toHaveLength(1);
      for (const loser of losers) {
        expect(loser.reason).toBeInstanceOf(JobQueueError);
        expect((loser.reason as JobQueueError).code).toBe('CONFLICT');
      }
      const won = (winners[0] as PromiseFulfilledResult<Awaited<ReturnType<JobQueue['claim']>>>)
        .value;
      expect(await queue().get(id)).toMatchObject({ state: 'leased', lease: won.lease });
    }
  });

  it('hands every job to exactly one station when stations drain the queue with claimNext', async () => {
    const jobs = Array.from({ length: 10 }, (_, i) => `drain-${i}`);
    for (const [i, id] of jobs.entries())
      await queue().enqueue(job(id, new Date(START - (100 - i) * 1000).toISOString()));
    const claimed = new Map<string, string>();
    const duplicates: string[] = [];
    await Promise.all(
      ['station-a', 'station-b', 'station-c'].map(async (station) => {
        const q = queue();
        for (;;) {
          const next = await q.claimNext(station, 300);
          if (!next) return;
          if (claimed.has(next.job.jobId)) duplicates.push(next.job.jobId);
          claimed.set(next.job.jobId, station);
        }
      }),
    );
    expect(duplicates).toEqual([]);
    expect([...claimed.keys()].sort()).toEqual([...jobs].sort());
    expect(await queue().listAvailable()).toEqual([]);
    expect(await queue().claimNext('station-a', 300)).toBeUndefined();
  });

  it('renews the same lease when the same station claims again', async () => {
    const q = queue();
    await q.enqueue(job('j1'));
    const first = await q.claim('j1', 'station-a', 60);
    clock.advance(30);
    const again = await q.claim('j1', 'station-a', 60);
    expect(again.lease.leaseId).toBe(first.lease.leaseId);
    expect(Date.parse(again.lease.expiresAt)).toBe(START + 90_000);
    expect(again.job.attempts).toBe(0);
    const other = await expectCode(q.claim('j1', 'station-b', 60), 'CONFLICT');
    expect(other.message).toContain('station-a');
  });
});

describe('JobQueue: leases', () => {
  it('returns a lost station’s job to the queue when its lease lapses', async () => {
    const q = queue();
    await q.enqueue(job('j1'));
    const { lease } = await q.claim('j1', 'station-a', 60);
    clock.advance(45);
    await q.heartbeat('j1', lease.leaseId, 60); // now until START + 105 s
    clock.advance(59);
    expect(await q.listAvailable()).toEqual([]);
    clock.advance(2);
    expect((await q.listAvailable()).map((j) => j.jobId)).toEqual(['j1']);
    await expectCode(q.heartbeat('j1', lease.leaseId, 60), 'LEASE_LOST');

    const takeover = await q.claim('j1', 'station-b', 60);
    expect(takeover.lease.leaseId).not.toBe(lease.leaseId);
    expect(takeover.job.attempts).toBe(1); // the lost station's attempt counts
    expect(takeover.job.endedLease).toEqual({
      ...lease,
      expiresAt: takeover.job.endedLease!.expiresAt,
    });
    // The lost station comes back: every step with its old lease is refused.
    await expectCode(q.heartbeat('j1', lease.leaseId, 60), 'LEASE_LOST');
    await expectCode(q.markRegistered('j1', lease.leaseId, registration), 'LEASE_LOST');
    await expectCode(q.release('j1', lease.leaseId, { countAttempt: true }), 'LEASE_LOST');
  });

  it('releases back to the queue, counting the attempt only when asked, idempotently', async () => {
    const q = queue();
    await q.enqueue(job('j1'));
    const first = await q.claim('j1', 'station-a', 60);
    const released = await q.release('j1', first.lease.leaseId, { countAttempt: true });
    expect(released).toMatchObject({ state: 'queued', attempts: 1 });
    expect(released.lease).toBeUndefined();
    expect(await q.release('j1', first.lease.leaseId, { countAttempt: true })).toEqual(released);
    const second = await q.claim('j1', 'station-b', 60);
    expect(second.lease.leaseId).not.toBe(first.lease.leaseId);
    const aborted = await q.release('j1', second.lease.leaseId, { countAttempt: false });
    expect(aborted.attempts).toBe(1);
  });
});

describe('JobQueue: steps after the claim', () => {
  it('runs register → forcePINChange → ship, each step repeatable with no effect', async () => {
    const q = queue();
    await q.enqueue(job('j1'));
    const { lease } = await q.claim('j1', 'station-a', 300);

    clock.advance(5);
    const registered = await q.markRegistered('j1', lease.leaseId, registration);
    expect(registered).toMatchObject({
      state: 'registered',
      methodId: registration.methodId,
      serial: 31_415_926,
      registeredAt: '2026-05-04T08:00:05.000Z',
    });
    const etag = (await table.getEntity('job', 'j1')).etag;
    clock.advance(5);
    expect(await q.markRegistered('j1', lease.leaseId, registration)).toEqual(registered);
    expect((await table.getEntity('job', 'j1')).etag).toBe(etag); // nothing was written
    await expectCode(
      q.markRegistered('j1', lease.leaseId, { ...registration, methodId: 'other' }),
      'CONFLICT',
    );
    // After registration the key is live: a plain release would orphan the credential.
    await expectCode(q.release('j1', lease.leaseId, { countAttempt: true }), 'INVALID_STATE');
    await expectCode(
      q.markShipped('j1', lease.leaseId, { carrier: 'PostNord', trackingNumber: 'AB123456789SE' }),
      'INVALID_STATE',
    );

    const confirmed = await q.markPinChangeConfirmed('j1', lease.leaseId);
    expect(confirmed.state).toBe('pin-change-confirmed');
    expect(await q.markPinChangeConfirmed('j1', lease.leaseId)).toEqual(confirmed);
    await expectCode(q.markPinChangeConfirmed('j1', 'not-the-lease'), 'LEASE_LOST');

    const shipment = { carrier: 'PostNord', trackingNumber: 'AB123456789SE' };
    const shipped = await q.markShipped('j1', lease.leaseId, shipment);
    expect(shipped).toMatchObject({ state: 'shipped', ...shipment });
    expect(shipped.lease).toBeUndefined();
    expect(shipped.endedLease?.stationId).toBe('station-a');
    expect(await q.markShipped('j1', lease.leaseId, shipment)).toEqual(shipped);
    expect(await q.markPinChangeConfirmed('j1', lease.leaseId)).toEqual(shipped);
    expect(await q.markRegistered('j1', lease.leaseId, registration)).toEqual(shipped);
    await expectCode(
      q.markShipped('j1', lease.leaseId, { ...shipment, trackingNumber: 'ZZ999' }),
      'CONFLICT',
    );
    await expectCode(q.heartbeat('j1', lease.leaseId, 60), 'INVALID_STATE');
    await expectCode(q.claim('j1', 'station-b', 60), 'INVALID_STATE');

    const closed = await q.close('j1', 'completed');
    expect(closed).toMatchObject({ state: 'closed', closeReason: 'completed' });
    expect(await q.close('j1', 'completed')).toEqual(closed);
  });

  it('keeps a registered job with its station even after the lease lapses', async () => {
    const q = queue();
    await q.enqueue(job('j1'));
    const { lease } = await q.claim('j1', 'station-a', 60);
    await q.markRegistered('j1', lease.leaseId, registration);
    clock.advance(120);
    expect(await q.listAvailable()).toEqual([]);
    await expectCode(q.claim('j1', 'station-b', 60), 'CONFLICT');
    await expectCode(q.heartbeat('j1', lease.leaseId, 60), 'LEASE_LOST');
    // The same station, back again, reclaims it with the same lease and carries on.
    const back = await q.claim('j1', 'station-a', 60);
    expect(back.lease.leaseId).toBe(lease.leaseId);
    expect((await q.markPinChangeConfirmed('j1', lease.leaseId)).state).toBe(
      'pin-change-confirmed',
    );
  });

  it('requeues a registered job for the workflow, dropping the registration, once', async () => {
    const q = queue();
    await q.enqueue(job('j1'));
    const { lease } = await q.claim('j1', 'station-a', 60);
    await q.markRegistered('j1', lease.leaseId, registration);
    const requeued = await q.requeue('j1', lease.leaseId, { countAttempt: true });
    expect(requeued).toMatchObject({ state: 'queued', attempts: 1 });
    expect(requeued.methodId).toBeUndefined();
    expect(requeued.credentialId).toBeUndefined();
    expect(await q.requeue('j1', lease.leaseId, { countAttempt: true })).toEqual(requeued);
    const next = await q.claim('j1', 'station-b', 60);
    await expectCode(q.requeue('j1', lease.leaseId, { countAttempt: true }), 'LEASE_LOST');
    expect((await q.get('j1')).lease).toEqual(next.lease);
  });

  it('closing a job takes it from the station holding it', async () => {
    const q = queue();
    await q.enqueue(job('j1'));
    const { lease } = await q.claim('j1', 'station-a', 60);
    await q.close('j1', 'cancelled by the requester');
    const lost = await expectCode(q.heartbeat('j1', lease.leaseId, 60), 'LEASE_LOST');
    expect(lost.message).toContain('closed');
    await expectCode(q.markRegistered('j1', lease.leaseId, registration), 'LEASE_LOST');
    expect(await q.listAvailable()).toEqual([]);
  });
});

describe('JobQueue: pre-fetched creation options', () => {
  function options(challengeLength: number) {
    return {
      challenge: 'c'.repeat(challengeLength),
      rp: { id: 'login.microsoft.com', name: 'Microsoft' },
      user: {
        id: 'dXNlcg',
        name: 'maja.lind@fabrikam.example',
        displayName: 'Maja Lind 😀 Öström',
      },
      pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
    };
  }

  it('keeps options of several KB, and larger ones split over columns, exactly', async () => {
    const q = queue();
    const small = { options: options(4000), expiresAt: '2026-05-10T08:00:00.000Z' };
    await q.enqueue({ ...job('j1'), prefetchedOptions: small });
    expect((await q.get('j1')).prefetchedOptions).toEqual(small);

    // Non-ASCII text across chunk boundaries (and across Azurite's 64 KiB body pieces) survives.
    const awkward = { ...options(0), challenge: `${'x'.repeat(31_990)}${'Ö😀'.repeat(3000)}` };
    const large = { options: awkward, expiresAt: '2026-05-10T08:00:00.000Z' };
    await q.setPrefetchedOptions('j1', large);
    // Compared by digest: a failing deep-equal of 100 KB strings would flood the report.
    expect(digest((await q.get('j1')).prefetchedOptions)).toBe(digest(large));
    const stored = await table.getEntity<Record<string, unknown>>('job', 'j1');
    expect(stored.optionsChunks).toBe(3);

    await q.setPrefetchedOptions('j1', undefined);
    expect((await q.get('j1')).prefetchedOptions).toBeUndefined();
    const cleared = await table.getEntity<Record<string, unknown>>('job', 'j1');
    expect(Object.keys(cleared).filter((k) => k.startsWith('options'))).toEqual([]);
  });

  it('refuses options too large for one entity, saying what to do', async () => {
    const q = queue();
    await q.enqueue(job('j1'));
    const error = await expectCode(
      q.setPrefetchedOptions('j1', {
        options: options(400_000),
        expiresAt: '2026-05-10T08:00:00.000Z',
      }),
      'OPTIONS_TOO_LARGE',
    );
    expect(error.message).toMatch(/just-in-time/);
    expect((await q.get('j1')).prefetchedOptions).toBeUndefined();
  });
});
