import { z } from 'zod';

/** microsoft.graph.fido2AuthenticationMethod as Graph returns it (publicKeyCredential is write-only). */
export const fido2MethodSchema = z.looseObject({
  id: z.string().min(1),
  displayName: z.string().nullable().optional(),
  createdDateTime: z.iso.datetime({ offset: true }).nullable().optional(),
  lastUsedDateTime: z.iso.datetime({ offset: true }).nullable().optional(),
  aaGuid: z.string().nullable().optional(),
  model: z.string().nullable().optional(),
  attestationCertificates: z.array(z.string()).nullable().optional(),
  attestationLevel: z.enum(['attested', 'notAttested', 'unknownFutureValue']).nullable().optional(),
  passkeyType: z.enum(['deviceBound', 'synced', 'unknownFutureValue']).nullable().optional(),
});

export type Fido2Method = z.infer<typeof fido2MethodSchema>;
