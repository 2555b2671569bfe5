import { createHash, type X509Certificate } from 'node:crypto';
import { bytesEqual } from '../../../core/bytes.ts';
import { formatAaguid } from '../../../core/webauthn/aaguid.ts';
import { parseAttestationObject } from '../../../core/webauthn/attestation-object.ts';
import { parseAuthenticatorData } from '../../../core/webauthn/authenticator-data.ts';
import { decodeBase64Url } from '../../../core/webauthn/base64url.ts';
import { parseClientData } from '../../../core/webauthn/client-data.ts';
import { CoseAlgorithm } from '../../../core/webauthn/cose-key.ts';
import type { Fido2PolicySettings } from '../seed/tenant-seed.ts';
import { aaguidAllowed, isUserTargeted, rulesForUser } from './fido2-policy.ts';
import type { ChallengeSealer } from './registration-challenge.ts';
import { RegistrationRefusal } from './registration-refusal.ts';
import { verifyAttestationStatement } from './verify-attestation-statement.ts';

/** The algorithms Entra's creation options offer (pubKeyCredParams). */
export const OFFERED_ALGORITHMS: readonly number[] = [CoseAlgorithm.ES256, CoseAlgorithm.RS256];
export const MAX_DISPLAY_NAME_LENGTH = 30;

export interface RegistrationContext {
  userId: string;
  groupIds: ReadonlySet<string>;
  policy: Fido2PolicySettings;
  rpId: string;
  trustedRoots: readonly X509Certificate[];
  challenges: ChallengeSealer;
  /** Every credential id already registered in the tenant, base64url. */
  registeredCredentialIds: ReadonlySet<string>;
  now: number;
}

export interface VerifiedRegistration {
  credentialId: Uint8Array;
  /** The credential public key, COSE-encoded exactly as in authenticatorData. */
  publicKey: Uint8Array;
  algorithm: number;
  signCount: number;
  aaGuid: string;
  displayName: string | undefined;
  attestationLevel: 'attested' | 'notAttested';
  attestationCertificates: string[];
  transports: string[];
  passkeyType: 'deviceBound' | 'synced';
}

interface RegistrationBody {
  displayName: string | undefined;
  id: string;
  clientDataJSON: string;
  attestationObject: string;
}

/**
 * Verifies a fido2Methods POST the way Entra does, in this order: body shape, display name,
 * policy (enabled, self-service, targets), clientDataJSON (type, origin, challenge), challenge
 * (ours, this user, this RP, not expired), attestationObject, rpIdHash, UP and UV, algorithm,
 * credential id, attestation statement, AAGUID restrictions and attestation trust per the
 * applicable rules, and finally duplicates. The first failure throws a RegistrationRefusal whose
 * code is the cause and whose message is the precise detail (never the challenge itself).
 */
export async function verifyRegistration(
  json: unknown,
  context: RegistrationContext,
): Promise<VerifiedRegistration> {
  const refuse = (cause: RegistrationRefusal['code'], detail: string): never => {
    throw new RegistrationRefusal(cause, detail);
  };
  const body = parseRegistrationBody(json);
  if (body.displayName !== undefined && [...body.displayName].length > MAX_DISPLAY_NAME_LENGTH) {
    refuse(
      'displayNameTooLong',
      `displayName has ${[...body.displayName].length} characters; at most ${MAX_DISPLAY_NAME_LENGTH} are allowed.`,
    );
  }
  const { policy } = context;
  if (policy.state !== 'enabled')
    refuse('policyDisabled', 'The passkey (FIDO2) authentication method policy is disabled.');
  if (!policy.isSelfServiceRegistrationAllowed) {
    refuse(
      'selfServiceDisabled',
      'isSelfServiceRegistrationAllowed is false; Entra refuses provisioning until "Allow self-service setup" is on.',
    );
  }
  if (!isUserTargeted(policy, context.userId, context.groupIds)) {
    refuse(
      'userNotTargeted',
      'The user is not in an include target of the passkey (FIDO2) policy, or is in an exclude target.',
    );
  }

  // clientDataJSON
  let clientDataBytes: Uint8Array = new Uint8Array();
  try {
    clientDataBytes = decodeBase64Url(body.clientDataJSON, 'clientDataJSON');
  } catch (cause) {
    refuse('invalidClientData', (cause as Error).message);
  }
  let clientData: ReturnType<typeof parseClientData> | undefined;
  try {
    clientData = parseClientData(clientDataBytes);
  } catch (cause) {
    refuse('invalidClientData', (cause as Error).message);
  }
  const expectedOrigin = `https://${context.rpId}`;
  if (clientData!.type !== 'webauthn.create')
    refuse(
      'invalidClientData',
      `clientDataJSON type is "${clientData!.type}", expected "webauthn.create".`,
    );
  if (clientData!.origin !== expectedOrigin)
    refuse(
      'invalidClientData',
      `clientDataJSON origin is "${clientData!.origin}", expected "${expectedOrigin}".`,
    );
  if (clientData!.crossOrigin)
    refuse('invalidClientData', 'clientDataJSON crossOrigin must be false.');
  const claims = await context.challenges.open(clientData!.challenge);
  if (!claims)
    refuse(
      'invalidClientData',
      'The challenge in clientDataJSON was not issued by this tenant (or was altered).',
    );
  if (claims!.rpId !== context.rpId)
    refuse(
      'invalidClientData',
      `The challenge was issued for RP "${claims!.rpId}", not "${context.rpId}".`,
    );
  if (claims!.userId.toLowerCase() !== context.userId.toLowerCase()) {
    refuse('challengeForOtherUser', "The challenge was issued in another user's creation options.");
  }
  if (context.now >= claims!.expiresAt * 1000) {
    refuse(
      'challengeExpired',
      `The challenge expired at ${new Date(claims!.expiresAt * 1000).toISOString()} (challengeTimeoutDateTime).`,
    );
  }

  // attestationObject and authenticatorData
  let attestation: ReturnType<typeof parseAttestationObject> | undefined;
  try {
    attestation = parseAttestationObject(
      decodeBase64Url(body.attestationObject, 'attestationObject'),
    );
  } catch (cause) {
    refuse('invalidAttestation', (cause as Error).message);
  }
  let authData: ReturnType<typeof parseAuthenticatorData> | undefined;
  try {
    authData = parseAuthenticatorData(attestation!.authData);
  } catch (cause) {
    refuse('invalidAttestation', (cause as Error).message);
  }
  const expectedRpIdHash = createHash('sha256').update(context.rpId).digest();
  if (!bytesEqual(authData!.rpIdHash, expectedRpIdHash)) {
    refuse(
      'invalidAttestation',
      `rpIdHash is not SHA-256("${context.rpId}"): the credential was made for another RP.`,
    );
  }
  if (!authData!.userPresent)
    refuse('invalidAttestation', 'The UP (user present) flag is not set.');
  if (!authData!.userVerified)
    refuse(
      'invalidAttestation',
      'The UV (user verified) flag is not set; Entra requires user verification.',
    );
  const credential = authData!.attestedCredentialData;
  if (!credential)
    refuse('invalidAttestation', 'authenticatorData has no attested credential data (AT flag).');
  if (!OFFERED_ALGORITHMS.includes(credential!.publicKey.alg)) {
    refuse(
      'invalidAttestation',
      `The credential key algorithm ${credential!.publicKey.alg} was not offered (pubKeyCredParams: ${OFFERED_ALGORITHMS.join(', ')}).`,
    );
  }
  let idBytes: Uint8Array = new Uint8Array();
  try {
    idBytes = decodeBase64Url(body.id, 'publicKeyCredential.id');
  } catch (cause) {
    refuse('invalidAttestation', (cause as Error).message);
  }
  if (!bytesEqual(idBytes, credential!.credentialId)) {
    refuse(
      'invalidAttestation',
      'publicKeyCredential.id is not the credential id in authenticatorData.',
    );
  }

  const clientDataHash = createHash('sha256').update(clientDataBytes).digest();
  const verdict = verifyAttestationStatement(
    attestation!.fmt,
    attestation!.attStmt,
    attestation!.authData,
    credential!,
    clientDataHash,
    context.trustedRoots,
    new Date(context.now),
  );
  const aaGuid = formatAaguid(credential!.aaguid);
  const rules = rulesForUser(policy, context.userId, context.groupIds);
  const allowing = rules.filter((r) => aaguidAllowed(r.keyRestrictions, aaGuid));
  if (allowing.length === 0) {
    refuse(
      'aaguidNotAllowed',
      `AAGUID ${aaGuid} is not allowed by the key restrictions${rules.some((r) => r.profileId) ? ' of the passkey profiles that apply to the user' : ''}.`,
    );
  }
  if (!allowing.some((r) => !r.attestationEnforced || verdict.trusted)) {
    refuse(
      'attestationNotTrusted',
      `Attestation is enforced and the ${verdict.type} attestation is not trusted: ${verdict.untrustedReason ?? 'unknown'}.`,
    );
  }
  const credentialIdText = Buffer.from(credential!.credentialId).toString('base64url');
  if (context.registeredCredentialIds.has(credentialIdText)) {
    refuse('alreadyRegistered', 'A passkey with this credential id is already registered.');
  }
  return {
    credentialId: credential!.credentialId,
    publicKey: credential!.publicKeyBytes,
    algorithm: credential!.publicKey.alg,
    signCount: authData!.signCount,
    aaGuid,
    displayName: body.displayName,
    attestationLevel: verdict.trusted ? 'attested' : 'notAttested',
    attestationCertificates: verdict.certificateThumbprints,
    transports: verdict.transports,
    passkeyType: authData!.backupEligible ? 'synced' : 'deviceBound',
  };
}

/**
 * The request body as Graph deserialises it: a fido2AuthenticationMethod whose complex types are
 * closed, so a member the type does not define (`type`, `rawId`, `authenticatorAttachment`,
 * `response.transports`…) is an error naming the member, not something silently ignored.
 */
function parseRegistrationBody(json: unknown): RegistrationBody {
  const malformed = (message: string): never => {
    throw new RegistrationRefusal('malformedRequest', message);
  };
  const object = (
    value: unknown,
    type: string,
    allowed: readonly string[],
  ): Record<string, unknown> => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return malformed(`A value of type 'microsoft.graph.${type}' was expected.`);
    }
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (key === '@odata.type') {
        if (
          record[key] !== `#microsoft.graph.${type}` &&
          record[key] !== `microsoft.graph.${type}`
        ) {
          malformed(
            `A type named '${String(record[key])}' could not be resolved by the model. When a model is available, each type name must resolve to a valid type.`,
          );
        }
      } else if (!allowed.includes(key)) {
        malformed(
          `The property '${key}' does not exist on type 'microsoft.graph.${type}'. Make sure to only use property names that are defined by the type or mark the type as open type.`,
        );
      }
    }
    return record;
  };
  const top = object(json, 'fido2AuthenticationMethod', ['displayName', 'publicKeyCredential']);
  const credential = object(top.publicKeyCredential, 'webauthnPublicKeyCredential', [
    'id',
    'response',
    'clientExtensionResults',
  ]);
  const response = object(credential.response, 'webauthnAuthenticatorAttestationResponse', [
    'clientDataJSON',
    'attestationObject',
  ]);
  const { displayName } = top;
  if (displayName !== undefined && displayName !== null && typeof displayName !== 'string')
    malformed('displayName must be a string.');
  for (const [name, value] of [
    ['id', credential.id],
    ['clientDataJSON', response.clientDataJSON],
    ['attestationObject', response.attestationObject],
  ] as const) {
    if (typeof value !== 'string' || value.length === 0)
      malformed(`publicKeyCredential ${name} is required and must be a string.`);
  }
  const extensions = credential.clientExtensionResults;
  if (
    extensions !== undefined &&
    extensions !== null &&
    (typeof extensions !== 'object' || Array.isArray(extensions))
  ) {
    malformed('clientExtensionResults must be an object.');
  }
  return {
    displayName: typeof displayName === 'string' ? displayName : undefined,
    id: credential.id as string,
    clientDataJSON: response.clientDataJSON as string,
    attestationObject: response.attestationObject as string,
  };
}
