import { CourierError } from '../../../core/courier-error.ts';

/**
 * Why the tenant refused a fido2Methods POST. Graph answers all of these with the same bare 400;
 * the tenant records the precise cause so tests (through the controls) can tell them apart, the
 * way an operator would with Microsoft support and the request-id.
 */
export const registrationRefusalCauses = [
  'policyDisabled',
  'selfServiceDisabled',
  'userNotTargeted',
  'aaguidNotAllowed',
  'passkeyTypeNotAllowed',
  'attestationNotTrusted',
  'challengeExpired',
  'challengeForOtherUser',
  'alreadyRegistered',
  'invalidClientData',
  'invalidAttestation',
  'displayNameTooLong',
  /** The body is not a fido2AuthenticationMethod (unknown or missing members); Graph says which. */
  'malformedRequest',
] as const;

export type RegistrationRefusalCause = (typeof registrationRefusalCauses)[number];

/** A refused registration: `code` is the cause, the message the precise detail (no secrets). */
export class RegistrationRefusal extends CourierError<RegistrationRefusalCause> {}
