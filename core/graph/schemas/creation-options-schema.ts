import { z } from 'zod';

const descriptor = z.looseObject({
  type: z.string(),
  id: z.string().min(1),
  transports: z.array(z.string()).nullable().optional(),
});

/**
 * microsoft.graph.webauthnCredentialCreationOptions (Graph CSDL). The gateway checks the members
 * it relies on and otherwise passes the options through verbatim; `extensions` is an open type.
 */
export const creationOptionsSchema = z.looseObject({
  challengeTimeoutDateTime: z.iso.datetime({ offset: true }),
  publicKey: z.looseObject({
    rp: z.looseObject({ id: z.string().min(1), name: z.string().nullable().optional() }),
    user: z.looseObject({
      id: z.string().min(1),
      name: z.string().nullable().optional(),
      displayName: z.string().nullable().optional(),
    }),
    challenge: z.string().min(16),
    pubKeyCredParams: z.array(z.looseObject({ type: z.string(), alg: z.number().int() })).min(1),
    timeout: z.number().int().nullable().optional(),
    excludeCredentials: z.array(descriptor).nullable().optional(),
    authenticatorSelection: z
      .looseObject({
        authenticatorAttachment: z.string().nullable().optional(),
        requireResidentKey: z.boolean().nullable().optional(),
        userVerification: z.string().nullable().optional(),
      })
      .nullable()
      .optional(),
    attestation: z.string().nullable().optional(),
    extensions: z.looseObject({}).nullable().optional(),
  }),
});

export type CreationOptions = z.infer<typeof creationOptionsSchema>;
