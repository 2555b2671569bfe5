import { z } from 'zod';
import { actorSchema } from './request-input.ts';

/**
 * External events a request's orchestration waits for. Anyone with the durable client can raise
 * an event, so the orchestration validates each payload again and ignores (and audits) any that
 * does not fit: the HTTP layer checks identity, the orchestration checks the rules.
 */
export const RequestEvent = {
  ApprovalDecision: 'ApprovalDecision',
  Cancel: 'Cancel',
  RegistrationSubmitted: 'RegistrationSubmitted',
  StationFailure: 'StationFailure',
  StationLost: 'StationLost',
  PinChangeConfirmed: 'PinChangeConfirmed',
  Shipped: 'Shipped',
  DeliveryConfirmed: 'DeliveryConfirmed',
  PinReleased: 'PinReleased',
  LostKey: 'LostKey',
} as const;
export type RequestEvent = (typeof RequestEvent)[keyof typeof RequestEvent];

const at = z.iso.datetime();
const base64url = z.string().regex(/^[A-Za-z0-9_-]+$/);

export const approvalDecisionSchema = z.strictObject({
  approver: actorSchema,
  approved: z.boolean(),
  comment: z.string().max(500).optional(),
  at,
});
export type ApprovalDecision = z.infer<typeof approvalDecisionSchema>;

/** Cancel, lost-key report, delivery confirmation and PIN release: the requester acting. */
export const requesterActionSchema = z.strictObject({ by: actorSchema, at });
export type RequesterAction = z.infer<typeof requesterActionSchema>;

const stationActorFields = {
  stationId: z.string().min(1),
  leaseId: z.string().min(1),
  operator: actorSchema,
};

/** A key's registration, as the station submitted it. The PIN envelope is not here: it is in the vault. */
export const registrationSubmittedSchema = z.strictObject({
  ...stationActorFields,
  attempt: z.number().int().positive(),
  credentialId: base64url,
  clientDataJSON: base64url,
  attestationObject: base64url,
  clientExtensionResults: z.record(z.string(), z.unknown()).optional(),
  aaguid: z.uuid(),
  serial: z.number().int().nonnegative().optional(),
  firmware: z.string().optional(),
  displayName: z.string().min(1).max(30),
  /** When the creation options' challenge expires, for classifying a refusal. */
  challengeExpiresAt: z.iso.datetime().optional(),
  at,
});
export type RegistrationSubmitted = z.infer<typeof registrationSubmittedSchema>;

export const stationFailureSchema = z.strictObject({
  ...stationActorFields,
  attempt: z.number().int().positive(),
  reason: z.string().min(1).max(64),
  detail: z.string().max(2000),
  at,
});
export type StationFailure = z.infer<typeof stationFailureSchema>;

/** A station's lease ran out after registration and before forcePINChange was confirmed. */
export const stationLostSchema = z.strictObject({
  stationId: z.string().min(1),
  /** The lease that lapsed: it names the registration it concerns. */
  leaseId: z.string().min(1),
  at,
});
export type StationLost = z.infer<typeof stationLostSchema>;

export const pinChangeConfirmedSchema = z.strictObject({
  ...stationActorFields,
  minPinLength: z.number().int().min(4).max(63),
  at,
});
export type PinChangeConfirmed = z.infer<typeof pinChangeConfirmedSchema>;

export const shippedSchema = z.strictObject({
  ...stationActorFields,
  carrier: z.string().min(1),
  trackingNumber: z.string().min(1),
  at,
});
export type Shipped = z.infer<typeof shippedSchema>;
