import type { Fido2PolicySettings } from '../seed/tenant-seed.ts';
import {
  breaks,
  checkAttestationFormat,
  checkChallengeClaims,
  checkDisplayName,
  checkKeyAdmitted,
  checkPolicyAdmitsUser,
} from './entra-registration-rules.ts';
import type { ChallengeSealer } from './registration-challenge.ts';
import { RegistrationRefusal } from './registration-refusal.ts';
import {
  chainTrusted,
  readAttestationFormat,
  readClientData,
  verifyWebAuthnRegistration,
} from './webauthn-registration-check.ts';

export interface RegistrationContext {
  userId: string;
  groupIds: ReadonlySet<string>;
  policy: Fido2PolicySettings;
  rpId: string;
  /** The attestation roots Entra trusts for an AAGUID (PEM), from the FIDO metadata. */
  attestationRootsFor: (aaguid: string) => readonly string[];
  challenges: ChallengeSealer;
  /** Every credential id already registered in the tenant, base64url. */
  registeredCredentialIds: ReadonlySet<string>;
  now: number;
}

export interface VerifiedRegistration {
  credentialId: Uint8Array;
  /** The credential public key, COSE-encoded exactly as in authenticatorData. */
  publicKey: Uint8Array;
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
 * policy (enabled, self-service, targets), attestation format, the sealed challenge (ours, this
 * RP, this user, not expired), then WebAuthn's own checks by @simplewebauthn/server, then
 * Entra's: crossOrigin, credential id, AAGUID restrictions and attestation trust per the
 * applicable rules, and duplicates. Entra's rules live in entra-registration-rules.ts, each
 * labelled documented or assumed. The first failure throws a RegistrationRefusal whose code is the
 * cause and whose message is the precise detail (never the challenge itself).
 */
export async function verifyRegistration(
  json: unknown,
  context: RegistrationContext,
): Promise<VerifiedRegistration> {
  const body = parseRegistrationBody(json);
  checkDisplayName(body.displayName);
  checkPolicyAdmitsUser(context.policy, context.userId, context.groupIds);
  checkAttestationFormat(readAttestationFormat(body.attestationObject));

  const clientData = readClientData(body.clientDataJSON);
  const claims = await context.challenges.open(clientData.challenge);
  if (!claims)
    throw new RegistrationRefusal(
      'invalidClientData',
      'The challenge in clientDataJSON was not issued by this tenant (or was altered).',
    );
  checkChallengeClaims(claims, context);

  const webauthn = await verifyWebAuthnRegistration({
    id: body.id,
    clientDataJSON: body.clientDataJSON,
    attestationObject: body.attestationObject,
    rpId: context.rpId,
    isOurChallenge: (challenge) => challenge === clientData.challenge,
  });
  if (clientData.crossOrigin) breaks('origin', 'clientDataJSON crossOrigin must be false.');
  if (normaliseId(body.id) !== webauthn.credentialId)
    breaks(
      'credentialIdMatches',
      'publicKeyCredential.id is not the credential id in authenticatorData.',
    );

  const untrustedReason =
    webauthn.attestationType === 'full'
      ? await chainTrusted(webauthn.x5c, context.attestationRootsFor(webauthn.aaguid))
      : `${webauthn.attestationType} attestation`;
  const passkeyType = webauthn.backupEligible ? 'synced' : 'deviceBound';
  checkKeyAdmitted(context.policy, context, {
    aaguid: webauthn.aaguid,
    passkeyType,
    trusted: untrustedReason === undefined,
    untrustedReason,
    type: webauthn.attestationType,
  });
  if (context.registeredCredentialIds.has(webauthn.credentialId))
    breaks('duplicate', 'A passkey with this credential id is already registered.');
  return {
    credentialId: new Uint8Array(Buffer.from(webauthn.credentialId, 'base64url')),
    publicKey: webauthn.publicKey,
    signCount: webauthn.signCount,
    aaGuid: webauthn.aaguid,
    displayName: body.displayName,
    attestationLevel: untrustedReason === undefined ? 'attested' : 'notAttested',
    attestationCertificates: webauthn.certificateThumbprints,
    transports: webauthn.transports,
    passkeyType,
  };
}

/** The credential id as base64url without padding, whichever base64 spelling the client used. */
function normaliseId(id: string): string {
  return Buffer.from(
    id.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''),
    'base64url',
  ).toString('base64url');
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
