import { z } from 'zod';
import { RequestState } from '../../core/request/request-state.ts';
import { stationIdSchema } from '../../core/station-api/station-api-schemas.ts';
import { redactSecrets } from './redact-secrets.ts';
import { tableKeySchema } from './table-key.ts';

export const ACTOR_KINDS = [
  'requester',
  'approver',
  'station',
  'operator',
  'admin',
  'system',
] as const;
export type ActorKind = (typeof ACTOR_KINDS)[number];

/** Who made a transition happen: a person (by Entra object id), a station, or the service itself. */
export interface AuditActor {
  kind: ActorKind;
  /** An Entra object id, a station id, or a component name for `system`. */
  id: string;
  displayName?: string;
}

export interface AuditPerson {
  /** The Entra object id. */
  id: string;
  displayName?: string;
}

/**
 * One transition of a request, as the workflow writes it (docs/design.md §2.1: who, when, which key
 * serial/AAGUID, credential id, Graph method id and request-id, tracking number).
 *
 * There is deliberately no member for a PIN, a PIN envelope, a token or a secret, and naming one
 * is a type error (the `never` members below), so `{ ...submission }` of a station's body, which
 * carries the PIN envelope, does not compile. At run time unknown members are refused too.
 */
export interface AuditEntry {
  /**
   * Unique per transition and the same on every retry of it (e.g. `${instanceId}:${step}`): an
   * append repeated by an at-least-once activity is then a no-op.
   */
  recordId: string;
  requestId: string;
  /** When the transition happened (ISO 8601, UTC): an orchestration's currentUtcDateTime. */
  at: string;
  actor: AuditActor;
  from?: RequestState;
  to: RequestState;
  /** A short name for what happened when the states alone do not say: "reminder-sent", "lease-expired". */
  event?: string;
  jobId?: string;
  approver?: AuditPerson;
  stationId?: string;
  operator?: AuditPerson;
  keySerial?: number;
  aaguid?: string;
  /** The WebAuthn credential id, base64url. */
  credentialId?: string;
  graphMethodId?: string;
  /** Graph's request-id of the call that made the transition, for Microsoft support. */
  graphRequestId?: string;
  carrier?: string;
  trackingNumber?: string;
  /** A short, stable cause: a GraphError code, a failure reason from the station. */
  reason?: string;
  /** Free text for people; anything that looks like a token or secret is redacted before storing. */
  detail?: string;

  pin?: never;
  pinEnvelope?: never;
  ciphertext?: never;
  token?: never;
  accessToken?: never;
  secret?: never;
  password?: never;
}

/** A stored record: the entry plus when the service wrote it. */
export interface AuditRecord extends AuditEntry {
  /** When the service stored the record (its own clock); orders records with the same `at`. */
  recordedAt: string;
}

const person = z.strictObject({
  id: z.string().min(1).max(200),
  displayName: z.string().min(1).max(256).optional(),
});
const requestStates = Object.values(RequestState) as [RequestState, ...RequestState[]];
const freeText = (max: number) => z.string().min(1).max(max).transform(redactSecrets);

/** Validates an entry: ids usable as table keys, known states, bounded text, no unknown members. */
export const auditEntrySchema = z.strictObject({
  recordId: tableKeySchema,
  requestId: tableKeySchema,
  at: z.iso.datetime(),
  actor: z.strictObject({
    kind: z.enum(ACTOR_KINDS),
    id: z.string().min(1).max(200),
    displayName: z.string().min(1).max(256).optional(),
  }),
  from: z.enum(requestStates).optional(),
  to: z.enum(requestStates),
  event: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,63}$/, 'event is a lowercase word with dashes')
    .optional(),
  jobId: z.string().min(1).max(200).optional(),
  approver: person.optional(),
  stationId: stationIdSchema.optional(),
  operator: person.optional(),
  keySerial: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).optional(),
  aaguid: z
    .uuid()
    .transform((a) => a.toLowerCase())
    .optional(),
  credentialId: z
    .string()
    .regex(/^[A-Za-z0-9_+/=-]{16,1400}$/, 'credentialId must be base64url')
    .transform(normaliseCredentialId)
    .optional(),
  graphMethodId: z.string().min(1).max(500).optional(),
  graphRequestId: z.string().min(1).max(200).optional(),
  carrier: z.string().min(1).max(80).optional(),
  trackingNumber: z.string().min(1).max(64).optional(),
  reason: freeText(200).optional(),
  detail: freeText(4000).optional(),
});

/**
 * Graph sometimes spells credential ids in standard base64 with padding (docs/design.md §1.5): index and
 * compare them in one spelling, base64url without padding.
 */
export function normaliseCredentialId(id: string): string {
  return id.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
