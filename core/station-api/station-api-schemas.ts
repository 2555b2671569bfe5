import { z } from 'zod';
import { pinEnvelopeSchema } from '../pin-envelope/pin-envelope.ts';
import { keyClassSchema } from '../request/key-class.ts';

/**
 * The station API (docs/design.md §3): JSON over HTTPS between the mailroom station and the functions
 * app, under /api/station. Both sides validate with these schemas. Every call that changes
 * something is idempotent by job id and step: repeating it gives the same answer.
 */

const id = z.string().min(1).max(200);
const base64url = z.string().regex(/^[A-Za-z0-9_-]*$/, 'must be base64url without padding');

/** A station, as the operator's token and the station's own configuration name it. */
export const stationIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, 'station ids are 1-64 letters, digits, dot, dash or underscore');

/** A job as a station sees it: enough to pick, program and label a key; no secrets. */
export const stationJobSchema = z.strictObject({
  jobId: id,
  requestId: id,
  keyClass: keyClassSchema,
  recipient: z.strictObject({
    displayName: z.string(),
    userPrincipalName: z.string(),
    shippingAddress: z.string().optional(),
  }),
  approvedAt: z.iso.datetime(),
  attempts: z.number().int().nonnegative(),
  state: z.enum(['queued', 'leased', 'registered', 'pin-change-confirmed', 'shipped', 'closed']),
  lease: z
    .strictObject({ stationId: stationIdSchema, leaseId: id, expiresAt: z.iso.datetime() })
    .optional(),
  /** Set once Graph accepted the credential. */
  methodId: z.string().optional(),
});
export type StationJob = z.infer<typeof stationJobSchema>;

export const listJobsResponseSchema = z.strictObject({ jobs: z.array(stationJobSchema) });

export const claimRequestSchema = z.strictObject({
  stationId: stationIdSchema,
  /** How long the lease lasts without a heartbeat; the server caps it (heartbeat well before). */
  leaseSeconds: z.number().int().min(5).max(900).optional(),
});
export const claimResponseSchema = z.strictObject({
  job: stationJobSchema,
  lease: z.strictObject({ leaseId: id, expiresAt: z.iso.datetime() }),
});

export const leaseRequestSchema = z.strictObject({ leaseId: id });

export const heartbeatRequestSchema = z.strictObject({
  leaseId: id,
  /** The lease's new length from now; the server caps it. */
  leaseSeconds: z.number().int().min(5).max(900).optional(),
});

export const creationOptionsResponseSchema = z.strictObject({
  /** Graph's webauthnCredentialCreationOptions, verbatim. */
  options: z.looseObject({}),
  expiresAt: z.iso.datetime(),
  graphRequestId: z.string().optional(),
});

export const registrationSubmissionSchema = z.strictObject({
  leaseId: id,
  /** Which programming attempt this is: a retried submission of the same attempt is a repeat. */
  attempt: z.number().int().positive(),
  credentialId: base64url.min(16),
  clientDataJSON: base64url.min(16),
  attestationObject: base64url.min(16),
  clientExtensionResults: z.record(z.string(), z.unknown()).optional(),
  aaguid: z.uuid(),
  serial: z.number().int().nonnegative().optional(),
  firmware: z
    .string()
    .regex(/^\d+\.\d+\.\d+$/)
    .optional(),
  displayName: z.string().min(1).max(30),
  pinEnvelope: pinEnvelopeSchema,
});
export type RegistrationSubmission = z.infer<typeof registrationSubmissionSchema>;

export const registrationOutcomeSchema = z.discriminatedUnion('outcome', [
  z.strictObject({
    outcome: z.literal('registered'),
    methodId: z.string(),
    graphRequestId: z.string().optional(),
  }),
  z.strictObject({
    outcome: z.literal('refused'),
    /** A GraphError code: SELF_SERVICE_DISABLED, AAGUID_NOT_ALLOWED, CHALLENGE_EXPIRED… */
    reason: z.string(),
    message: z.string(),
    /** True when the station should program the key again (e.g. with fresh options). */
    retry: z.boolean(),
  }),
]);
export type RegistrationOutcome = z.infer<typeof registrationOutcomeSchema>;

export const failureReportSchema = z.strictObject({
  leaseId: id,
  attempt: z.number().int().positive(),
  reason: z.enum([
    'needs-reset',
    'wrong-key-class',
    'key-error',
    'policy-refused',
    'options-expired',
    'operator-aborted',
  ]),
  detail: z.string().max(2000),
});

export const pinChangeConfirmationSchema = z.strictObject({
  leaseId: id,
  /** False only for a key without authenticatorConfig that its key class accepts as such. */
  forcePinChange: z.boolean(),
  minPinLength: z.number().int().min(4).max(63),
  /** What this key could not be given (its capabilities), recorded with the job. */
  notApplied: z
    .array(z.enum(['setMinPINLength', 'forcePINChange', 'pinUvAuthProtocol2']))
    .optional(),
});

export const shipmentSchema = z.strictObject({
  leaseId: id,
  carrier: z.string().min(1).max(80),
  trackingNumber: z
    .string()
    .regex(/^[A-Za-z0-9 -]{4,64}$/, 'tracking numbers are 4-64 letters, digits, spaces or dashes'),
});

export const pinEnvelopeKeyResponseSchema = z.strictObject({
  kid: z.string(),
  alg: z.literal('RSA-OAEP-256'),
  /** The public key as a JWK (kty RSA, n, e). */
  jwk: z.looseObject({ kty: z.literal('RSA'), n: base64url, e: base64url }),
});

/** The body of every station API error: a stable code and a message an operator can act on. */
export const stationApiErrorSchema = z.strictObject({
  error: z.strictObject({
    code: z.string(),
    message: z.string(),
    requestId: z.string().optional(),
  }),
});
