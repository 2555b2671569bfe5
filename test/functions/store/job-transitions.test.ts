import { describe, expect, it } from 'vitest';
import { JobQueueError } from '../../../functions/store/job-queue-error.ts';
import type { JobRecord } from '../../../functions/store/job-record.ts';
import {
  claimJob,
  closeJob,
  confirmPinChange,
  isAvailable,
  registerJob,
  releaseJob,
  requeueJob,
  setPrefetchedOptions,
  shipJob,
} from '../../../functions/store/job-transitions.ts';

const NOW = Date.parse('2026-05-04T08:00:00.000Z');
const queued: JobRecord = {
  jobId: 'job-1',
  requestId: 'req-1',
  instanceId: 'request-req-1',
  keyClass: {
    name: 'YubiKey 5 NFC',
    allowedAaguids: ['fa2b99dc-9e39-4257-8f92-4a30d23c4118'],
    minimumFirmware: '5.7.0',
  },
  recipient: { userId: 'u1', displayName: 'Maja Lind', userPrincipalName: 'maja@fabrikam.example' },
  approvedAt: '2026-05-04T07:00:00.000Z',
  state: 'queued',
  attempts: 0,
  enqueuedAt: '2026-05-04T07:00:01.000Z',
  updatedAt: '2026-05-04T07:00:01.000Z',
};
const registration = {
  methodId: 'm1',
  credentialId: 'Y3JlZGVudGlhbC1pZC0wMDAx',
  aaguid: 'fa2b99dc-9e39-4257-8f92-4a30d23c4118',
};

function code(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof JobQueueError) return error.code;
    throw error;
  }
  return 'no error';
}

const claim = (record: JobRecord, stationId = 'station-a', at = NOW) =>
  claimJob(record, { stationId, leaseSeconds: 60, newLeaseId: `lease-${stationId}-${at}` }, at)
    .record;

describe('job transitions', () => {
  const leased = claim(queued);
  const registered = registerJob(leased, leased.lease!.leaseId, registration, NOW).record;
  const confirmed = confirmPinChange(registered, leased.lease!.leaseId, NOW).record;
  const shipped = shipJob(
    confirmed,
    leased.lease!.leaseId,
    { carrier: 'PostNord', trackingNumber: 'AB1234' },
    NOW,
  ).record;
  const closed = closeJob(leased, 'cancelled', NOW).record;

  it('knows which jobs a station may take', () => {
    expect(isAvailable(queued, NOW)).toBe(true);
    expect(isAvailable(leased, NOW + 59_000)).toBe(false);
    expect(isAvailable(leased, NOW + 60_000)).toBe(true);
    expect(isAvailable(registered, NOW + 3_600_000)).toBe(false);
    for (const record of [confirmed, shipped, closed]) expect(isAvailable(record, NOW)).toBe(false);
  });

  it('refuses each step out of order, with the code a station can act on', () => {
    const lease = leased.lease!.leaseId;
    expect(code(() => confirmPinChange(leased, lease, NOW))).toBe('INVALID_STATE');
    expect(
      code(() => shipJob(leased, lease, { carrier: 'x', trackingNumber: 'AB1234' }, NOW)),
    ).toBe('INVALID_STATE');
    expect(code(() => registerJob(queued, 'any', registration, NOW))).toBe('LEASE_LOST');
    expect(code(() => registerJob(closed, lease, registration, NOW))).toBe('LEASE_LOST');
    expect(code(() => claim(shipped))).toBe('INVALID_STATE');
    expect(code(() => claim(closed))).toBe('INVALID_STATE');
    expect(code(() => claim(registered, 'station-b', NOW + 3_600_000))).toBe('CONFLICT');
    expect(code(() => releaseJob(confirmed, lease, { countAttempt: true }, NOW))).toBe(
      'INVALID_STATE',
    );
    expect(code(() => requeueJob(shipped, lease, { countAttempt: true }, NOW))).toBe(
      'INVALID_STATE',
    );
    expect(code(() => setPrefetchedOptions(registered, undefined, NOW))).toBe('INVALID_STATE');
  });

  it('marks repeats as unchanged, so nothing is written for them', () => {
    const lease = leased.lease!.leaseId;
    expect(registerJob(registered, lease, registration, NOW + 5).changed).toBe(false);
    expect(confirmPinChange(confirmed, lease, NOW + 5).changed).toBe(false);
    expect(closeJob(closed, 'another reason', NOW + 5)).toEqual({ record: closed, changed: false });
    expect(claim(leased, 'station-a', NOW + 5).lease!.leaseId).toBe(lease);
  });
});
