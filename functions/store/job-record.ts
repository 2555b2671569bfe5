import { z } from 'zod';
import { keyClassSchema, type KeyClass } from '../../core/request/key-class.ts';
import { stationIdSchema } from '../../core/station-api/station-api-schemas.ts';
import { tableKeySchema } from './table-key.ts';

/**
 * Where a station job is. A job is one approved request waiting for, or in the hands of, the
 * mailroom: `queued` (anyone may claim it), `leased` (a station is programming the key),
 * `registered` (Graph accepted the credential), `pin-change-confirmed` (the key now demands a new
 * PIN at first use), `shipped` (it left the mailroom), `closed` (cancelled or finished otherwise).
 */
export const JOB_STATES = [
  'queued',
  'leased',
  'registered',
  'pin-change-confirmed',
  'shipped',
  'closed',
] as const;
export type JobState = (typeof JOB_STATES)[number];

/** A station's hold on a job; it lapses at `expiresAt` unless renewed by a heartbeat. */
export interface JobLease {
  stationId: string;
  leaseId: string;
  /** ISO 8601, UTC. */
  expiresAt: string;
  /**
   * The Entra object id of whoever claimed it (the operator signed in at the station): a lease
   * id is a capability, good only in the hands that claimed it.
   */
  holder?: string;
}

export interface JobRecipient {
  /** The Entra object id of the employee the key is for. */
  userId: string;
  displayName: string;
  userPrincipalName: string;
  shippingAddress?: string;
}

/** Graph creation options fetched ahead of time (beta, long challenge timeout). */
export interface PrefetchedOptions {
  /** Graph's webauthnCredentialCreationOptions, verbatim. */
  options: Record<string, unknown>;
  /** When the challenge inside expires (ISO 8601); after it, options are fetched again. */
  expiresAt: string;
}

export interface JobRecord {
  jobId: string;
  requestId: string;
  /** The request's orchestration instance, so a station's step can be raised to it as an event. */
  instanceId: string;
  keyClass: KeyClass;
  recipient: JobRecipient;
  approvedAt: string;
  state: JobState;
  /**
   * Programming attempts that ended without a registration: releases that asked to count, and
   * leases that lapsed (a lost station) before another station took the job over.
   */
  attempts: number;
  /** Present while a station holds the job (leased, registered, pin-change-confirmed). */
  lease?: JobLease;
  /** The last lease that ended (released, shipped, closed, requeued): makes repeats recognisable. */
  endedLease?: JobLease;
  methodId?: string;
  credentialId?: string;
  aaguid?: string;
  serial?: number;
  carrier?: string;
  trackingNumber?: string;
  prefetchedOptions?: PrefetchedOptions;
  closeReason?: string;
  enqueuedAt: string;
  registeredAt?: string;
  pinChangeConfirmedAt?: string;
  shippedAt?: string;
  closedAt?: string;
  updatedAt: string;
}

const isoTime = z.iso.datetime();

export const jobRecipientSchema = z.strictObject({
  userId: z.string().min(1).max(200),
  displayName: z.string().min(1).max(256),
  userPrincipalName: z.string().min(3).max(256),
  shippingAddress: z.string().min(1).max(1000).optional(),
});

export const prefetchedOptionsSchema = z.strictObject({
  options: z.record(z.string(), z.unknown()),
  expiresAt: isoTime,
});

/** What the workflow hands over when a request is approved. */
export const newJobSchema = z.strictObject({
  jobId: tableKeySchema,
  requestId: z.string().min(1).max(200),
  instanceId: z.string().min(1).max(200),
  keyClass: keyClassSchema,
  recipient: jobRecipientSchema,
  approvedAt: isoTime,
  prefetchedOptions: prefetchedOptionsSchema.optional(),
});
export type NewJob = z.input<typeof newJobSchema>;

const leaseSchema = z.strictObject({
  stationId: stationIdSchema,
  leaseId: z.string().min(1).max(200),
  expiresAt: isoTime,
  holder: z.string().min(1).max(200).optional(),
});

/** A stored job, checked on every read: storage is outside input like any other. */
export const jobRecordSchema = newJobSchema.extend({
  state: z.enum(JOB_STATES),
  attempts: z.number().int().nonnegative(),
  lease: leaseSchema.optional(),
  endedLease: leaseSchema.optional(),
  methodId: z.string().min(1).optional(),
  credentialId: z.string().min(1).optional(),
  aaguid: z.string().min(1).optional(),
  serial: z.number().int().nonnegative().optional(),
  carrier: z.string().min(1).optional(),
  trackingNumber: z.string().min(1).optional(),
  closeReason: z.string().optional(),
  enqueuedAt: isoTime,
  registeredAt: isoTime.optional(),
  pinChangeConfirmedAt: isoTime.optional(),
  shippedAt: isoTime.optional(),
  closedAt: isoTime.optional(),
  updatedAt: isoTime,
}) satisfies z.ZodType<JobRecord>;
