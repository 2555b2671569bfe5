import { base64Readings } from '../webauthn/base64url.ts';
import { GraphError } from './graph-error.ts';
import type { CreationOptions } from './schemas/creation-options-schema.ts';

/** Graph's creation options with their binary members decoded, ready for a CTAP makeCredential. */
export interface DecodedCreationOptions {
  /** Always from the options, never assumed (today login.microsoft.com). */
  rp: { id: string; name?: string };
  user: { id: Uint8Array; name?: string; displayName?: string };
  /** The challenge text exactly as received: it goes into clientDataJSON verbatim. */
  challenge: string;
  pubKeyCredParams: { type: string; alg: number }[];
  excludeCredentials: { type: string; id: Uint8Array; transports?: string[] }[];
  requireResidentKey: boolean;
  userVerification: string;
  /** The WebAuthn client extension inputs, e.g. hmacCreateSecret, credentialProtectionPolicy. */
  extensions: Record<string, unknown>;
  /** When the challenge stops being accepted. */
  expiresAt: string;
  timeoutMs: number | undefined;
}

/**
 * Decodes creation options for the station. Binary ids go through the tolerant decoder, because
 * Graph has sent excludeCredentials ids as base64url, standard base64 with padding, and .NET's
 * padding-digit form; an id that is none of these is refused with the offending text quoted.
 */
export function decodeCreationOptions(options: CreationOptions): DecodedCreationOptions {
  const publicKey = options.publicKey;
  const readings = (text: string, what: string): Uint8Array[] => {
    try {
      return base64Readings(text, what);
    } catch (cause) {
      throw new GraphError(
        'INVALID_RESPONSE',
        `Graph's creation options have an undecodable ${what}: ${(cause as Error).message}`,
        {
          cause,
        },
      );
    }
  };
  const decode = (text: string, what: string): Uint8Array => readings(text, what)[0]!;
  const user: DecodedCreationOptions['user'] = { id: decode(publicKey.user.id, 'user.id') };
  if (publicKey.user.name) user.name = publicKey.user.name;
  if (publicKey.user.displayName) user.displayName = publicKey.user.displayName;
  if (user.id.length === 0 || user.id.length > 64) {
    throw new GraphError(
      'INVALID_RESPONSE',
      `Graph's creation options have a ${user.id.length}-byte user handle; WebAuthn allows 1 to 64.`,
    );
  }
  const rp: DecodedCreationOptions['rp'] = { id: publicKey.rp.id };
  if (publicKey.rp.name) rp.name = publicKey.rp.name;
  return {
    rp,
    user,
    challenge: publicKey.challenge,
    pubKeyCredParams: publicKey.pubKeyCredParams.map(({ type, alg }) => ({ type, alg })),
    // An id that reads two ways is listed both ways: a key ignores ids it does not hold, and
    // guessing wrong would let one credential be registered twice.
    excludeCredentials: (publicKey.excludeCredentials ?? []).flatMap((descriptor, index) =>
      readings(descriptor.id, `excludeCredentials[${index}].id`).map((id) => {
        const decoded: DecodedCreationOptions['excludeCredentials'][number] = {
          type: descriptor.type,
          id,
        };
        if (descriptor.transports && descriptor.transports.length > 0)
          decoded.transports = descriptor.transports;
        return decoded;
      }),
    ),
    requireResidentKey: publicKey.authenticatorSelection?.requireResidentKey ?? false,
    userVerification: publicKey.authenticatorSelection?.userVerification ?? 'preferred',
    extensions: { ...(publicKey.extensions ?? {}) },
    expiresAt: options.challengeTimeoutDateTime,
    timeoutMs: publicKey.timeout ?? undefined,
  };
}
