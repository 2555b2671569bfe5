import { createHash, randomBytes } from 'node:crypto';
import { bytesEqual, concatBytes } from '../../../core/bytes.ts';
import { decodeCanonical } from '../../../core/cbor/canonical-cbor.ts';
import { parseAuthenticatorData } from '../../../core/webauthn/authenticator-data.ts';
import { decodeBase64Url } from '../../../core/webauthn/base64url.ts';
import { parseClientData } from '../../../core/webauthn/client-data.ts';
import { parseCoseKey, verifyCoseSignature } from '../../../core/webauthn/cose-key.ts';
import type { Clock } from '../clock.ts';
import type { Directory } from '../directory.ts';
import { graphDateTime } from '../http/tenant-request.ts';
import type { TenantState } from '../tenant-state.ts';

const CHALLENGE_LIFETIME_MS = 5 * 60 * 1000;

export interface AssertionChallenge {
  challenge: string;
  rpId: string;
  timeout: number;
  userVerification: 'required';
  allowCredentials: { type: 'public-key'; id: string; transports: string[] }[];
  expiresDateTime: string;
}

export interface AssertionInput {
  credentialId: string;
  clientDataJSON: string;
  authenticatorData: string;
  signature: string;
}

export type SignInResult =
  | {
      verified: true;
      userId: string;
      userPrincipalName: string;
      methodId: string;
      displayName: string;
      aaGuid: string;
      signCount: number;
    }
  | { verified: false; reason: string };

/**
 * Proves that a programmed key really signs in: like Entra's sign-in, it issues an assertion
 * challenge for a user (allowCredentials = the user's passkeys), then checks the assertion
 * (clientDataJSON webauthn.get with that challenge and origin, rpIdHash, UP and UV, the
 * signature with the registered public key, a rising signature counter) and says which method
 * signed in. Challenges are single-use and live five minutes.
 */
export class SignInChecks {
  private readonly challenges = new Map<string, { userId: string; expiresAt: number }>();
  private readonly settings: {
    state: () => TenantState;
    directory: Directory;
    clock: Clock;
    rpId: string;
    onChange: () => void;
  };

  constructor(settings: SignInChecks['settings']) {
    this.settings = settings;
  }

  issue(user: string): AssertionChallenge | undefined {
    const found = this.settings.directory.findUser(user);
    if (!found) return undefined;
    const now = this.settings.clock();
    for (const [challenge, entry] of this.challenges)
      if (entry.expiresAt <= now) this.challenges.delete(challenge);
    const challenge = randomBytes(32).toString('base64url');
    this.challenges.set(challenge, { userId: found.id, expiresAt: now + CHALLENGE_LIFETIME_MS });
    return {
      challenge,
      rpId: this.settings.rpId,
      timeout: 60_000,
      userVerification: 'required',
      allowCredentials: this.settings
        .state()
        .methodsOf(found.id)
        .map((m) => ({ type: 'public-key', id: m.credentialId, transports: m.transports })),
      expiresDateTime: graphDateTime(now + CHALLENGE_LIFETIME_MS),
    };
  }

  verify(input: AssertionInput): SignInResult {
    const fail = (reason: string): SignInResult => ({ verified: false, reason });
    const { rpId } = this.settings;
    let credentialId: string;
    let clientDataBytes: Uint8Array;
    let authDataBytes: Uint8Array;
    let signature: Uint8Array;
    try {
      credentialId = Buffer.from(decodeBase64Url(input.credentialId, 'credentialId')).toString(
        'base64url',
      );
      clientDataBytes = decodeBase64Url(input.clientDataJSON, 'clientDataJSON');
      authDataBytes = decodeBase64Url(input.authenticatorData, 'authenticatorData');
      signature = decodeBase64Url(input.signature, 'signature');
    } catch (error) {
      return fail((error as Error).message);
    }
    const state = this.settings.state();
    const method = state.methods.find((m) => m.credentialId === credentialId);
    if (!method) return fail('No registered passkey has this credential id.');
    if (!method.publicKey)
      return fail('This passkey was seeded without a public key and cannot sign in.');
    let clientData: ReturnType<typeof parseClientData>;
    try {
      clientData = parseClientData(clientDataBytes);
    } catch (error) {
      return fail((error as Error).message);
    }
    if (clientData.type !== 'webauthn.get')
      return fail(`clientDataJSON type is "${clientData.type}", expected "webauthn.get".`);
    if (clientData.origin !== `https://${rpId}`)
      return fail(`clientDataJSON origin is "${clientData.origin}", expected "https://${rpId}".`);
    const issued = this.challenges.get(clientData.challenge);
    if (!issued || issued.expiresAt <= this.settings.clock())
      return fail('The challenge is unknown, used or expired.');
    if (issued.userId !== method.userId)
      return fail("The challenge was issued for another user than the passkey's owner.");
    this.challenges.delete(clientData.challenge);
    let authData: ReturnType<typeof parseAuthenticatorData>;
    try {
      authData = parseAuthenticatorData(authDataBytes);
    } catch (error) {
      return fail((error as Error).message);
    }
    if (!bytesEqual(authData.rpIdHash, createHash('sha256').update(rpId).digest()))
      return fail(`rpIdHash is not SHA-256("${rpId}").`);
    if (!authData.userPresent) return fail('The UP flag is not set.');
    if (!authData.userVerified)
      return fail('The UV flag is not set; sign-in requires user verification.');
    const key = parseCoseKey(decodeCanonical(Buffer.from(method.publicKey, 'base64url')));
    const signed = concatBytes([
      authDataBytes,
      createHash('sha256').update(clientDataBytes).digest(),
    ]);
    let valid: boolean;
    try {
      valid = verifyCoseSignature(key, signed, signature);
    } catch {
      valid = false;
    }
    if (!valid) return fail('The signature does not verify with the registered public key.');
    if (
      (authData.signCount !== 0 || method.signCount !== 0) &&
      authData.signCount <= method.signCount
    ) {
      return fail(
        `The signature counter went from ${method.signCount} to ${authData.signCount}: the key may be cloned.`,
      );
    }
    method.signCount = authData.signCount;
    method.lastUsedDateTime = graphDateTime(this.settings.clock());
    this.settings.onChange();
    const user = this.settings.directory.findUser(method.userId)!;
    return {
      verified: true,
      userId: user.id,
      userPrincipalName: user.userPrincipalName,
      methodId: method.id,
      displayName: method.displayName,
      aaGuid: method.aaGuid,
      signCount: method.signCount,
    };
  }

  clear(): void {
    this.challenges.clear();
  }
}
