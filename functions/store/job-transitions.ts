import { JobQueueError } from './job-queue-error.ts';
import type { JobLease, JobRecord, PrefetchedOptions } from './job-record.ts';

/**
 * The job queue's rules, as pure functions of (record, arguments, now): each returns the next
 * record, or the same object when the step was already done (a repeat is a no-op), or throws a
 * JobQueueError. JobQueue reads, applies one of these and writes back under the record's ETag, so
 * the rules are tested without storage and the storage code holds no rules.
 */

export interface Transition {
  record: JobRecord;
  /** False when the step had already happened: nothing needs writing. */
  changed: boolean;
}

export interface Registration {
  methodId: string;
  credentialId: string;
  aaguid: string;
  serial?: number;
}

export interface Shipment {
  carrier: string;
  trackingNumber: string;
}

/** States in which a station holds the job and its lease matters. */
const HELD_STATES: ReadonlySet<JobRecord['state']> = new Set([
  'leased',
  'registered',
  'pin-change-confirmed',
]);

const iso = (ms: number) => new Date(ms).toISOString();

function isLive(lease: JobLease | undefined, now: number): boolean {
  return lease !== undefined && Date.parse(lease.expiresAt) > now;
}

function unchanged(record: JobRecord): Transition {
  return { record, changed: false };
}

function changed(record: JobRecord, now: number): Transition {
  return { record: { ...record, updatedAt: iso(now) }, changed: true };
}

/**
 * A station may take the job: it waits in the queue, or its station vanished (the lease lapsed)
 * before Graph accepted a credential. Jobs already registered stay with their station even when
 * its lease lapses: the key exists and is live in Graph, so only that station, or the workflow
 * (requeue, after deleting the method), may move it on.
 */
export function isAvailable(record: JobRecord, now: number): boolean {
  return record.state === 'queued' || (record.state === 'leased' && !isLive(record.lease, now));
}

/**
 * Claims the job for `stationId`. The same station claiming again renews its lease and keeps its
 * leaseId (a retried claim is harmless); another station gets CONFLICT while the lease is live.
 * Taking over a lapsed lease counts the lost attempt.
 */
export function claimJob(
  record: JobRecord,
  claim: { stationId: string; leaseSeconds: number; newLeaseId: string; holder?: string },
  now: number,
): Transition {
  const expiresAt = iso(now + claim.leaseSeconds * 1000);
  if (record.state === 'shipped' || record.state === 'closed') {
    throw new JobQueueError(
      'INVALID_STATE',
      `Job ${record.jobId} is ${record.state}; there is nothing left to program.`,
    );
  }
  const lease = record.lease;
  // Only the same station in the same hands renews: a station id is a name anyone can send.
  const sameHands = lease?.holder === undefined || lease.holder === claim.holder;
  if (HELD_STATES.has(record.state) && lease?.stationId === claim.stationId && sameHands) {
    return changed({ ...record, lease: { ...lease, expiresAt } }, now);
  }
  if (record.state !== 'queued' && record.state !== 'leased') {
    throw new JobQueueError(
      'CONFLICT',
      `Job ${record.jobId} is ${record.state} by station ${lease?.stationId ?? 'unknown'}; only that station can finish it.`,
    );
  }
  if (record.state === 'leased' && lease && isLive(lease, now)) {
    throw new JobQueueError(
      'CONFLICT',
      `Job ${record.jobId} is held by station ${lease.stationId} until ${lease.expiresAt}.`,
    );
  }
  const lostAttempt = record.state === 'leased' ? 1 : 0;
  return changed(
    {
      ...record,
      state: 'leased',
      attempts: record.attempts + lostAttempt,
      lease: {
        stationId: claim.stationId,
        leaseId: claim.newLeaseId,
        expiresAt,
        ...(claim.holder ? { holder: claim.holder } : {}),
      },
      ...(record.lease ? { endedLease: record.lease } : {}),
    },
    now,
  );
}

/** The lease the caller names, still held, or LEASE_LOST saying why not. */
function heldLease(record: JobRecord, leaseId: string): JobLease {
  if (record.state === 'closed') {
    throw new JobQueueError('LEASE_LOST', `Job ${record.jobId} was closed; stop working on it.`);
  }
  const lease = record.lease;
  if (lease === undefined || lease.leaseId !== leaseId) {
    throw new JobQueueError(
      'LEASE_LOST',
      lease === undefined
        ? `Job ${record.jobId} is not leased any more (it is ${record.state}); claim it again.`
        : `Job ${record.jobId} is now held by station ${lease.stationId}; this lease ended.`,
    );
  }
  return lease;
}

/** Extends a live lease. A lapsed one is LEASE_LOST even if nobody took the job: claim it again. */
export function heartbeatJob(
  record: JobRecord,
  leaseId: string,
  leaseSeconds: number,
  now: number,
): Transition {
  if (record.state === 'shipped' && record.endedLease?.leaseId === leaseId) {
    throw new JobQueueError(
      'INVALID_STATE',
      `Job ${record.jobId} was shipped; its lease ended with the shipment.`,
    );
  }
  const lease = heldLease(record, leaseId);
  if (!isLive(lease, now)) {
    throw new JobQueueError(
      'LEASE_LOST',
      `The lease on job ${record.jobId} expired at ${lease.expiresAt}; claim the job again.`,
    );
  }
  return changed(
    { ...record, lease: { ...lease, expiresAt: iso(now + leaseSeconds * 1000) } },
    now,
  );
}

/**
 * Gives the job back to the queue (the key failed, the operator aborted). Only before
 * registration: afterwards a live credential exists and the workflow must delete it first
 * (requeueJob). `countAttempt` says whether this counts as a failed programming attempt.
 */
export function releaseJob(
  record: JobRecord,
  leaseId: string,
  options: { countAttempt: boolean },
  now: number,
): Transition {
  if (
    record.state === 'queued' &&
    record.lease === undefined &&
    record.endedLease?.leaseId === leaseId
  ) {
    return unchanged(record);
  }
  const lease = heldLease(record, leaseId);
  if (record.state !== 'leased') {
    throw new JobQueueError(
      'INVALID_STATE',
      `Job ${record.jobId} is ${record.state} (Graph method ${record.methodId ?? 'unknown'}); the workflow must revoke the credential and requeue the job.`,
    );
  }
  return changed(
    withoutLease(
      { ...record, state: 'queued', attempts: record.attempts + (options.countAttempt ? 1 : 0) },
      lease,
    ),
    now,
  );
}

/**
 * Records Graph's acceptance of the credential. The lease must be the caller's; it may have
 * lapsed, as long as no other station took the job: the credential is already live in Graph,
 * and forgetting that would be worse than accepting a late answer.
 */
export function registerJob(
  record: JobRecord,
  leaseId: string,
  registration: Registration,
  now: number,
): Transition {
  if (record.methodId !== undefined) {
    if (
      record.methodId === registration.methodId &&
      record.credentialId === registration.credentialId
    ) {
      return unchanged(record);
    }
    throw new JobQueueError(
      'CONFLICT',
      `Job ${record.jobId} is already registered with another Graph method (${record.methodId}).`,
    );
  }
  heldLease(record, leaseId);
  if (record.state !== 'leased') {
    throw new JobQueueError(
      'INVALID_STATE',
      `Job ${record.jobId} is ${record.state}; only a leased job can be registered.`,
    );
  }
  return changed(
    {
      ...record,
      state: 'registered',
      methodId: registration.methodId,
      credentialId: registration.credentialId,
      aaguid: registration.aaguid,
      ...(registration.serial === undefined ? {} : { serial: registration.serial }),
      registeredAt: iso(now),
    },
    now,
  );
}

/** Records that the key now demands a PIN change at first use (the station's last CTAP step). */
export function confirmPinChange(record: JobRecord, leaseId: string, now: number): Transition {
  const sameLease = record.lease?.leaseId === leaseId || record.endedLease?.leaseId === leaseId;
  if ((record.state === 'pin-change-confirmed' || record.state === 'shipped') && sameLease) {
    return unchanged(record);
  }
  heldLease(record, leaseId);
  if (record.state !== 'registered') {
    throw new JobQueueError(
      'INVALID_STATE',
      `Job ${record.jobId} is ${record.state}; forcePINChange is confirmed after registration.`,
    );
  }
  return changed({ ...record, state: 'pin-change-confirmed', pinChangeConfirmedAt: iso(now) }, now);
}

/** Records the shipment and ends the station's lease: the key has left the mailroom. */
export function shipJob(
  record: JobRecord,
  leaseId: string,
  shipment: Shipment,
  now: number,
): Transition {
  if (record.state === 'shipped' && record.endedLease?.leaseId === leaseId) {
    if (record.carrier === shipment.carrier && record.trackingNumber === shipment.trackingNumber) {
      return unchanged(record);
    }
    throw new JobQueueError(
      'CONFLICT',
      `Job ${record.jobId} was already shipped with ${record.carrier} tracking number ${record.trackingNumber}.`,
    );
  }
  const lease = heldLease(record, leaseId);
  if (record.state !== 'pin-change-confirmed') {
    throw new JobQueueError(
      'INVALID_STATE',
      record.state === 'registered'
        ? `Job ${record.jobId} cannot ship before forcePINChange is confirmed: the key's PIN would not have to be changed.`
        : `Job ${record.jobId} is ${record.state}; only a key with forcePINChange confirmed can ship.`,
    );
  }
  return changed(
    withoutLease(
      {
        ...record,
        state: 'shipped',
        carrier: shipment.carrier,
        trackingNumber: shipment.trackingNumber,
        shippedAt: iso(now),
      },
      lease,
    ),
    now,
  );
}

/** Closes the job for good (cancelled, revoked, completed); a station holding it loses its lease. */
export function closeJob(record: JobRecord, reason: string, now: number): Transition {
  if (record.state === 'closed') return unchanged(record);
  const closed: JobRecord = { ...record, state: 'closed', closeReason: reason, closedAt: iso(now) };
  return changed(record.lease ? withoutLease(closed, record.lease) : closed, now);
}

/**
 * The workflow puts a held job back in the queue: after it deleted a registered credential
 * (the key failed after registration, or its station vanished), or to take a job from a station.
 * `expectedLeaseId` is the lease it decided about, so a repeat after another station claimed the
 * job does not disturb that station.
 */
export function requeueJob(
  record: JobRecord,
  expectedLeaseId: string,
  options: { countAttempt: boolean },
  now: number,
): Transition {
  if (record.state === 'queued' && record.endedLease?.leaseId === expectedLeaseId) {
    return unchanged(record);
  }
  if (!HELD_STATES.has(record.state)) {
    throw new JobQueueError(
      'INVALID_STATE',
      `Job ${record.jobId} is ${record.state}; only a job a station holds can be requeued.`,
    );
  }
  const lease = heldLease(record, expectedLeaseId);
  const {
    methodId: _methodId,
    credentialId: _credentialId,
    aaguid: _aaguid,
    serial: _serial,
    registeredAt: _registeredAt,
    pinChangeConfirmedAt: _pinChangeConfirmedAt,
    ...rest
  } = record;
  return changed(
    withoutLease(
      { ...rest, state: 'queued', attempts: record.attempts + (options.countAttempt ? 1 : 0) },
      lease,
    ),
    now,
  );
}

/** Stores or clears pre-fetched creation options while the job has not been registered. */
export function setPrefetchedOptions(
  record: JobRecord,
  prefetched: PrefetchedOptions | undefined,
  now: number,
): Transition {
  if (record.state !== 'queued' && record.state !== 'leased') {
    throw new JobQueueError(
      'INVALID_STATE',
      `Job ${record.jobId} is ${record.state}; creation options only matter before registration.`,
    );
  }
  const { prefetchedOptions: _previous, ...rest } = record;
  return changed(prefetched ? { ...rest, prefetchedOptions: prefetched } : rest, now);
}

function withoutLease(record: JobRecord, ended: JobLease): JobRecord {
  const { lease: _lease, ...rest } = record;
  return { ...rest, endedLease: ended };
}
