import { z } from 'zod';

/**
 * The station API's sign-in check (docs/design.md §3): after Graph registered the key and before
 * forcePINChange is set, the service issues a challenge for the job, the station answers with
 * getAssertion using the PIN, and the service verifies it with the public key from the key's
 * registered attestation. A key that fails is revoked and its job goes back to the queue.
 */

const id = z.string().min(1).max(200);
const base64url = z.string().regex(/^[A-Za-z0-9_-]*$/, 'must be base64url without padding');

export const signInChallengeRequestSchema = z.strictObject({
  leaseId: id,
  /** The programming attempt whose registration is to be checked. */
  attempt: z.number().int().positive(),
});

export const signInChallengeResponseSchema = z.strictObject({
  challenge: base64url.min(43),
  rpId: z.string().min(1),
  /** The origin the station puts in clientDataJSON: `https://` + rpId. */
  origin: z.url(),
  allowCredentials: z.array(z.strictObject({ type: z.literal('public-key'), id: base64url })),
  userVerification: z.literal('required'),
  expiresAt: z.iso.datetime(),
});
export type SignInChallenge = z.infer<typeof signInChallengeResponseSchema>;

export const signInAssertionSchema = z.strictObject({
  leaseId: id,
  attempt: z.number().int().positive(),
  credentialId: base64url.min(16),
  clientDataJSON: base64url.min(16),
  authenticatorData: base64url.min(48),
  signature: base64url.min(16),
  userHandle: base64url.optional(),
});
export type SignInAssertion = z.infer<typeof signInAssertionSchema>;

export const signInCheckResponseSchema = z.strictObject({
  verified: z.literal(true),
  signCount: z.number().int().nonnegative(),
  checkedAt: z.iso.datetime(),
});
export type SignInCheckResult = z.infer<typeof signInCheckResponseSchema>;
