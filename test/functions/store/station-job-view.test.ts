import { describe, expect, it } from 'vitest';
import { stationJobSchema } from '../../../core/station-api/station-api-schemas.ts';
import {
  claimJob,
  registerJob,
  shipJob,
  confirmPinChange,
} from '../../../functions/store/job-transitions.ts';
import type { JobRecord } from '../../../functions/store/job-record.ts';
import { toStationJob } from '../../../functions/store/station-job-view.ts';

const queued: JobRecord = {
  jobId: 'job-1',
  requestId: 'req-1',
  instanceId: 'request-req-1',
  keyClass: {
    name: 'YubiKey 5 NFC',
    allowedAaguids: ['fa2b99dc-9e39-4257-8f92-4a30d23c4118'],
    minimumFirmware: '5.7.0',
  },
  recipient: {
    userId: '0b9a3c6e-52b4-4c5e-9a43-1a2b3c4d5e6f',
    displayName: 'Maja Lind',
    userPrincipalName: 'maja.lind@fabrikam.example',
  },
  approvedAt: '2026-05-04T07:00:00.000Z',
  state: 'queued',
  attempts: 0,
  prefetchedOptions: {
    options: { challenge: 'secret-ish' },
    expiresAt: '2026-05-05T07:00:00.000Z',
  },
  enqueuedAt: '2026-05-04T07:00:01.000Z',
  updatedAt: '2026-05-04T07:00:01.000Z',
};

const OPERATOR = '1f0c7a52-0000-4000-8000-0000000000be';
const OTHER_OPERATOR = '1f0c7a52-0000-4000-8000-0000000000bf';

const NOW = Date.parse('2026-05-04T08:00:00.000Z');

/** The queued job claimed at mailroom-1 by `holder`, lease `leaseId`. */
function claimedBy(holder: string, leaseId = 'l1', record: JobRecord = queued, at = NOW) {
  return claimJob(
    record,
    { stationId: 'mailroom-1', leaseSeconds: 60, newLeaseId: leaseId, holder },
    at,
  ).record;
}

describe('toStationJob', () => {
  it('gives the station API exactly its contract, in every state, and nothing more', () => {
    const now = Date.parse('2026-05-04T08:00:00.000Z');
    const leased = claimJob(
      queued,
      { stationId: 'mailroom-1', leaseSeconds: 60, newLeaseId: 'l1', holder: OPERATOR },
      now,
    ).record;
    const registered = registerJob(
      leased,
      'l1',
      {
        methodId: 'm1',
        credentialId: 'Y3JlZGVudGlhbC1pZC0wMDAx',
        aaguid: 'fa2b99dc-9e39-4257-8f92-4a30d23c4118',
      },
      now,
    ).record;
    const confirmed = confirmPinChange(registered, 'l1', now).record;
    const shipped = shipJob(
      confirmed,
      'l1',
      { carrier: 'PostNord', trackingNumber: 'AB123456789SE' },
      now,
    ).record;
    for (const record of [queued, leased, registered, confirmed, shipped]) {
      const view = toStationJob(record, OPERATOR);
      expect(stationJobSchema.parse(view)).toEqual(view); // strict: no unknown members
      expect(JSON.stringify(view)).not.toContain(record.recipient.userId);
      expect(JSON.stringify(view)).not.toContain('secret-ish');
    }
    expect(toStationJob(leased, OPERATOR).lease).toEqual({
      stationId: 'mailroom-1',
      leaseId: 'l1',
      expiresAt: '2026-05-04T08:01:00.000Z',
    });
    expect(toStationJob(shipped, OPERATOR).lease).toBeUndefined();
    expect(toStationJob(registered, OPERATOR).methodId).toBe('m1');
  });

  it('shows a lease only to the caller who claimed it', () => {
    const leased = claimedBy(OPERATOR);
    expect(toStationJob(leased, OPERATOR).lease?.leaseId).toBe('l1');
    for (const viewer of [OTHER_OPERATOR, undefined]) {
      const view = toStationJob(leased, viewer);
      expect(view.lease).toBeUndefined();
      expect(JSON.stringify(view)).not.toContain('l1');
      expect(view.state).toBe('leased');
    }
  });

  it('renews a lease only for the same station in the same hands', () => {
    const leased = claimedBy(OPERATOR);
    expect(claimedBy(OPERATOR, 'l2', leased, NOW + 1000).lease?.leaseId).toBe('l1');
    // Another operator naming the same station learns nothing and takes nothing.
    expect(() => claimedBy(OTHER_OPERATOR, 'l3', leased, NOW + 1000)).toThrow(
      /held by station mailroom-1/,
    );
  });
});
