import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { decodeBase64Tolerant, decodeBase64Url } from '../../core/webauthn/base64url.ts';
import {
  entraRegistrationClientData,
  serializeClientData,
} from '../../core/webauthn/client-data.ts';
import { AuthenticatorDataFlag } from '../../core/webauthn/authenticator-data.ts';
import { manualClock, type ManualClock } from '../../local/tenant/clock.ts';
import type { RegistrationRefusalCause } from '../../local/tenant/graph/registration-refusal.ts';
import { startLocalTenant, type LocalTenant } from '../../local/tenant/start-local-tenant.ts';
import { issueAttestationIdentity } from '../../station/virtual-key/attestation-authority.ts';
import { parseAaguid } from '../../core/webauthn/aaguid.ts';
import { VIRTUAL_KEY_AAGUID } from '../../station/virtual-key/virtual-key.ts';
import { appToken, call, type HttpAnswer } from './support/tenant-http.ts';
import { ENTRA_RULES } from '../../local/tenant/graph/entra-registration-rules.ts';
import {
  assertWithKey,
  makeCredentialFromOptions,
  registrationBody,
  softwareKey,
  syntheticCredential,
  type GraphCreationOptions,
  type SoftwareKey,
} from './support/software-key-registration.ts';

const MAJA = 'maja.lind@fabrikam.example'; // employee; one old key, excludeCredentials in standard base64
const AHMED = 'ahmed.karimi@fabrikam.example'; // two old keys, excludeCredentials in .NET form
const LARS = 'lars.eriksson@fabrikam.example';
const KWAME = 'kwame.asante@fabrikam.example'; // in the policy's exclude target

let tenant: LocalTenant;
let clock: ManualClock;
let token: string;
const keys: SoftwareKey[] = [];

const START = Date.parse('2026-03-02T09:00:00Z');

beforeAll(async () => {
  clock = manualClock(START);
  tenant = await startLocalTenant({
    tlsDirectory: mkdtempSync(join(tmpdir(), 'tenant-tls-')),
    now: clock.now,
  });
  token = await appToken(tenant);
});
afterAll(async () => {
  await tenant.close();
});
beforeEach(() => {
  clock.set(START);
  tenant.controls.reset();
});
afterEach(async () => {
  for (const key of keys.splice(0)) await key.close();
});

async function key(options: Parameters<typeof softwareKey>[0] = {}): Promise<SoftwareKey> {
  const made = await softwareKey(options);
  keys.push(made);
  return made;
}

async function creationOptions(
  user: string,
  version = 'v1.0',
  suffix = '',
): Promise<GraphCreationOptions> {
  const answer = await call(
    tenant,
    'GET',
    `/${version}/users/${user}/authentication/fido2Methods/creationOptions${suffix}`,
    { token },
  );
  expect(answer.status, answer.text).toBe(200);
  return answer.json as GraphCreationOptions;
}

function post(user: string, body: unknown, version = 'v1.0', bearer = token): Promise<HttpAnswer> {
  return call(tenant, 'POST', `/${version}/users/${user}/authentication/fido2Methods`, {
    token: bearer,
    json: body,
  });
}

/** The POST failed with Graph's bare 400, and the tenant recorded exactly this cause. */
function expectRefused(answer: HttpAnswer, cause: RegistrationRefusalCause): void {
  expect(answer.status, answer.text).toBe(400);
  if (cause !== 'malformedRequest') {
    expect(answer.json.error).toMatchObject({ code: 'badRequest', message: 'Bad Request' });
  }
  expect(answer.json.error.innerError['request-id']).toBe(answer.headers['request-id']);
  const recorded = tenant.controls.rejections({
    requestId: answer.headers['request-id'] as string,
  });
  expect(recorded.map((r) => r.cause)).toEqual([cause]);
}

describe('creationOptions', () => {
  it('v1.0 answers Entra-shaped options with a five-minute stateless challenge', async () => {
    const answer = await call(
      tenant,
      'GET',
      `/v1.0/users/${MAJA}/authentication/fido2Methods/creationOptions`,
      { token },
    );
    expect(answer.status).toBe(200);
    const options = answer.json;
    expect(options['@odata.context']).toBe(
      `${tenant.url}/v1.0/$metadata#microsoft.graph.webauthnCredentialCreationOptions`,
    );
    expect(options.challengeTimeoutDateTime).toBe('2026-03-02T09:05:00Z');
    const { publicKey } = options;
    expect(publicKey.rp).toEqual({ id: 'login.microsoft.com', name: 'Microsoft' });
    expect(publicKey.user.name).toBe(MAJA);
    expect(publicKey.user.displayName).toBe('Maja Lind');
    expect(decodeBase64Url(publicKey.user.id)).toHaveLength(48);
    expect(publicKey.pubKeyCredParams).toEqual([
      { type: 'public-key', alg: -7 },
      { type: 'public-key', alg: -257 },
    ]);
    expect(publicKey.timeout).toBe(60000);
    expect(publicKey.authenticatorSelection).toEqual({
      authenticatorAttachment: 'cross-platform',
      requireResidentKey: true,
      userVerification: 'required',
    });
    expect(publicKey.attestation).toBe('direct');
    expect(publicKey.extensions).toEqual({
      hmacCreateSecret: true,
      enforceCredentialProtectionPolicy: true,
      credentialProtectionPolicy: 'userVerificationOptional',
    });
    // base64url of a JWE (RSA-OAEP-256, A256GCM), like Entra's "ZXlKaGJHY2lPaUpTVTBFdFQwRkZVQzB5TlRZaUxDSmxibU1pT2lKQk1qVTJSME5OSWl3…".
    const jwe = Buffer.from(publicKey.challenge, 'base64url').toString('ascii');
    expect(jwe.split('.')).toHaveLength(5);
    expect(JSON.parse(Buffer.from(jwe.split('.')[0]!, 'base64url').toString())).toMatchObject({
      alg: 'RSA-OAEP-256',
      enc: 'A256GCM',
    });
    // Same user, same handle; another call, another challenge.
    const again = await creationOptions(MAJA);
    expect(again.publicKey.user.id).toBe(publicKey.user.id);
    expect(again.publicKey.challenge).not.toBe(publicKey.challenge);
  });

  it('excludes existing credentials in each encoding Graph has used, all decodable tolerantly', async () => {
    const maja = await creationOptions(MAJA); // standard base64 with padding
    expect(maja.publicKey.excludeCredentials).toHaveLength(1);
    expect(maja.publicKey.excludeCredentials[0]!.id).toMatch(/=$/);
    expect(maja.publicKey.excludeCredentials[0]!.transports).toEqual(['usb']);
    const ahmed = await creationOptions(AHMED); // .NET padding digit
    expect(ahmed.publicKey.excludeCredentials.map((c) => c.id.at(-1))).toEqual(['2', '0']);
    const lars = await creationOptions(LARS); // no keys yet
    expect(lars.publicKey.excludeCredentials).toEqual([]);
    const state = tenant.controls.inspect();
    for (const [options, upn] of [
      [maja, MAJA],
      [ahmed, AHMED],
    ] as const) {
      const userId = tenant.directory.findUser(upn)!.id;
      const expected = state.methods.filter((m) => m.userId === userId).map((m) => m.credentialId);
      const decoded = options.publicKey.excludeCredentials.map((c) =>
        Buffer.from(decodeBase64Tolerant(c.id)).toString('base64url'),
      );
      expect(decoded).toEqual(expected);
    }
  });

  it('beta takes challengeTimeoutInMinutes in the function-call form only, 5 to 43200', async () => {
    const ten = await creationOptions(MAJA, 'beta', '(challengeTimeoutInMinutes=10)');
    expect(ten.challengeTimeoutDateTime).toBe('2026-03-02T09:10:00Z');
    const month = await creationOptions(MAJA, 'beta', '(challengeTimeoutInMinutes=43200)');
    expect(month.challengeTimeoutDateTime).toBe('2026-04-01T09:00:00Z');
    const plain = await creationOptions(MAJA, 'beta');
    expect(plain.challengeTimeoutDateTime).toBe('2026-03-02T09:05:00Z');
    const alias = await creationOptions(MAJA, 'beta', '(challengeTimeoutInMinutes=@t)?@t=15');
    expect(alias.challengeTimeoutDateTime).toBe('2026-03-02T09:15:00Z');
    for (const minutes of ['4', '43201', 'x']) {
      const answer = await call(
        tenant,
        'GET',
        `/beta/users/${MAJA}/authentication/fido2Methods/creationOptions(challengeTimeoutInMinutes=${minutes})`,
        { token },
      );
      expect(answer.status).toBe(400);
      expect(answer.json.error.code).toBe('badRequest');
    }
  });

  it('answers the query-string form with 405 methodNotAllowed, as Graph does', async () => {
    for (const version of ['beta', 'v1.0']) {
      const answer = await call(
        tenant,
        'GET',
        `/${version}/users/${MAJA}/authentication/fido2Methods/creationOptions?challengeTimeoutInMinutes=10`,
        {
          token,
          headers: { 'client-request-id': 'c0ffee00-0000-4000-8000-000000000001' },
        },
      );
      expect(answer.status).toBe(405);
      expect(answer.json.error.code).toBe('methodNotAllowed');
      expect(answer.json.error.innerError['client-request-id']).toBe(
        'c0ffee00-0000-4000-8000-000000000001',
      );
      expect(answer.headers['client-request-id']).toBe('c0ffee00-0000-4000-8000-000000000001');
    }
  });

  it('v1.0 refuses a custom timeout', async () => {
    const answer = await call(
      tenant,
      'GET',
      `/v1.0/users/${MAJA}/authentication/fido2Methods/creationOptions(challengeTimeoutInMinutes=10)`,
      { token },
    );
    expect(answer.status).toBe(400);
  });
});

describe('registering a software key', () => {
  it('accepts a real packed attestation from the software key, and the key then signs in', async () => {
    const softKey = await key();
    const options = await creationOptions(MAJA);
    const credential = await makeCredentialFromOptions(softKey, options);
    const answer = await post(MAJA, registrationBody(credential, 'Maja YubiKey'));
    expect(answer.status, answer.text).toBe(201);
    const method = answer.json;
    expect(method).toEqual({
      '@odata.context': `${tenant.url}/v1.0/$metadata#users('${MAJA}')/authentication/fido2Methods/$entity`,
      id: expect.any(String) as unknown,
      displayName: 'Maja YubiKey',
      createdDateTime: '2026-03-02T09:00:00Z',
      lastUsedDateTime: null,
      aaGuid: VIRTUAL_KEY_AAGUID,
      model: 'Passkey Courier Software Key',
      attestationCertificates: [expect.stringMatching(/^[0-9a-f]{40}$/) as unknown],
      attestationLevel: 'attested',
      passkeyType: 'deviceBound',
    });
    expect(method).not.toHaveProperty('publicKeyCredential');
    expect(answer.headers.location).toBe(
      `${tenant.url}/v1.0/users/${encodeURIComponent(MAJA)}/authentication/fido2Methods/${method.id}`,
    );
    // The run's method-id form: the credential id in .NET's base64url-with-padding-digit form, or a GUID.
    if (tenant.methodIdForm === 'credential-id')
      expect(decodeBase64Tolerant(method.id as string)).toEqual(credential.credentialId);
    else
      expect(method.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

    const list = await call(tenant, 'GET', `/v1.0/users/${MAJA}/authentication/fido2Methods`, {
      token,
    });
    expect(list.json.value.map((m: { id: string }) => m.id)).toContain(method.id);
    const got = await call(
      tenant,
      'GET',
      `/v1.0/users/${MAJA}/authentication/fido2Methods/${method.id}`,
      { token },
    );
    expect(got.json.aaGuid).toBe(VIRTUAL_KEY_AAGUID);
    expect(tenant.controls.inspect().methods.find((m) => m.id === method.id)?.transports).toEqual([
      'usb',
    ]);

    // The sign-in check: an assertion from the key, verified against the registered public key.
    const challenge = await call(tenant, 'POST', '/_courier/tenant/sign-in/challenge', {
      json: { user: MAJA },
    });
    expect(challenge.status).toBe(200);
    const assertion = await assertWithKey(softKey, challenge.json);
    const verified = await call(tenant, 'POST', '/_courier/tenant/sign-in/verify', {
      json: assertion,
    });
    expect(verified.status, verified.text).toBe(200);
    expect(verified.json).toMatchObject({
      verified: true,
      methodId: method.id,
      userPrincipalName: MAJA,
    });
    const after = await call(
      tenant,
      'GET',
      `/v1.0/users/${MAJA}/authentication/fido2Methods/${method.id}`,
      { token },
    );
    expect(after.json.lastUsedDateTime).toBe('2026-03-02T09:00:00Z');
    // Replaying the same assertion fails: the challenge is single-use.
    const replay = await call(tenant, 'POST', '/_courier/tenant/sign-in/verify', {
      json: assertion,
    });
    expect(replay.status).toBe(400);
    expect(replay.json.verified).toBe(false);

    // The next options exclude the new credential, and a second POST of it is refused.
    const next = await creationOptions(MAJA);
    expect(
      next.publicKey.excludeCredentials.map((c) =>
        Buffer.from(decodeBase64Tolerant(c.id)).toString('base64url'),
      ),
    ).toContain(Buffer.from(credential.credentialId).toString('base64url'));
    expectRefused(await post(MAJA, registrationBody(credential)), 'alreadyRegistered');

    // Deleting it: 204, then 404, and it can no longer sign in.
    expect(
      (
        await call(
          tenant,
          'DELETE',
          `/v1.0/users/${MAJA}/authentication/fido2Methods/${method.id}`,
          { token },
        )
      ).status,
    ).toBe(204);
    expect(
      (
        await call(tenant, 'GET', `/v1.0/users/${MAJA}/authentication/fido2Methods/${method.id}`, {
          token,
        })
      ).status,
    ).toBe(404);
  });

  it('registers through beta with a long challenge, used days later', async () => {
    const softKey = await key();
    const options = await creationOptions(LARS, 'beta', '(challengeTimeoutInMinutes=4320)');
    clock.advance(2 * 24 * 3600 * 1000);
    const credential = await makeCredentialFromOptions(softKey, options);
    // The token from two days ago has expired (Graph says so); a fresh one works.
    const stale = await post(LARS, registrationBody(credential), 'beta');
    expect(stale.status).toBe(401);
    expect(stale.json.error.message).toBe('Lifetime validation failed, the token is expired.');
    const answer = await post(LARS, registrationBody(credential), 'beta', await appToken(tenant));
    expect(answer.status, answer.text).toBe(201);
    expect(answer.json.displayName).toBe('Passkey Courier Software Key');
  });

  it('accepts "none" attestation only while attestation is not enforced', async () => {
    const options = await creationOptions(MAJA);
    const none = syntheticCredential({ options, aaguid: VIRTUAL_KEY_AAGUID, attestation: 'none' });
    expectRefused(await post(MAJA, registrationBody(none)), 'attestationNotTrusted');
    tenant.controls.editPolicy({ isAttestationEnforced: false });
    const accepted = await post(MAJA, registrationBody(none));
    expect(accepted.status, accepted.text).toBe(201);
    expect(accepted.json.attestationLevel).toBe('notAttested');
    expect(accepted.json.attestationCertificates).toEqual([]);
  });
});

describe('each refusal cause', () => {
  it('policyDisabled, selfServiceDisabled and userNotTargeted come from the policy', async () => {
    const softKey = await key();
    const options = await creationOptions(MAJA);
    const credential = await makeCredentialFromOptions(softKey, options);
    tenant.controls.editPolicy({ state: 'disabled' });
    expectRefused(await post(MAJA, registrationBody(credential)), 'policyDisabled');
    tenant.controls.editPolicy({ state: 'enabled', isSelfServiceRegistrationAllowed: false });
    expectRefused(await post(MAJA, registrationBody(credential)), 'selfServiceDisabled');
    tenant.controls.editPolicy({ isSelfServiceRegistrationAllowed: true });

    const kwameOptions = await creationOptions(KWAME);
    const kwameCredential = await makeCredentialFromOptions(softKey, kwameOptions);
    expectRefused(await post(KWAME, registrationBody(kwameCredential)), 'userNotTargeted');
    const maja = tenant.directory.findUser(MAJA)!;
    tenant.controls.editPolicy({
      includeTargets: [{ targetType: 'user', id: maja.id, isRegistrationRequired: false }],
      excludeTargets: [],
    });
    const kwameAgain = await makeCredentialFromOptions(softKey, await creationOptions(KWAME));
    expectRefused(await post(KWAME, registrationBody(kwameAgain)), 'userNotTargeted');
    expect((await post(MAJA, registrationBody(credential))).status).toBe(201);
  });

  it('aaguidNotAllowed: a key model outside the allow list, or on the block list', async () => {
    const other = await key({ aaguid: '0b5d2c4e-1f3a-4c5b-8d6e-7f8091a2b3c4' });
    const credential = await makeCredentialFromOptions(other, await creationOptions(MAJA));
    expectRefused(await post(MAJA, registrationBody(credential)), 'aaguidNotAllowed');
    const softKey = await key();
    const blocked = await makeCredentialFromOptions(softKey, await creationOptions(MAJA));
    tenant.controls.editPolicy({
      keyRestrictions: {
        isEnforced: true,
        enforcementType: 'block',
        aaGuids: [VIRTUAL_KEY_AAGUID],
      },
    });
    expectRefused(await post(MAJA, registrationBody(blocked)), 'aaguidNotAllowed');
    // The other model passes that block list, but it is not in the tenant's FIDO metadata: with
    // attestation enforced it is untrusted, though its chain leads to the same software root.
    expectRefused(await post(MAJA, registrationBody(credential)), 'attestationNotTrusted');
    tenant.controls.editPolicy({ isAttestationEnforced: false });
    const allowed = await post(MAJA, registrationBody(credential));
    expect(allowed.status, allowed.text).toBe(201);
    expect(allowed.json).toMatchObject({ model: null, attestationLevel: 'notAttested' });
  });

  it('attestationNotTrusted: full attestation from a CA that is not a trusted root, and self attestation', async () => {
    const foreign = await issueAttestationIdentity(
      parseAaguid(VIRTUAL_KEY_AAGUID),
      'some other vendor root',
    );
    const options = await creationOptions(MAJA);
    const full = syntheticCredential({ options, aaguid: VIRTUAL_KEY_AAGUID, attestation: foreign });
    expectRefused(await post(MAJA, registrationBody(full)), 'attestationNotTrusted');
    const self = syntheticCredential({ options, aaguid: VIRTUAL_KEY_AAGUID, attestation: 'self' });
    expectRefused(await post(MAJA, registrationBody(self)), 'attestationNotTrusted');
    tenant.controls.editPolicy({ isAttestationEnforced: false });
    const accepted = await post(MAJA, registrationBody(self));
    expect(accepted.status, accepted.text).toBe(201);
    expect(accepted.json.attestationLevel).toBe('notAttested');
  });

  it('challengeExpired after five minutes (v1.0), challengeForOtherUser when options were for someone else', async () => {
    const softKey = await key();
    const credential = await makeCredentialFromOptions(softKey, await creationOptions(MAJA));
    expectRefused(await post(LARS, registrationBody(credential)), 'challengeForOtherUser');
    clock.advance(5 * 60 * 1000);
    expectRefused(await post(MAJA, registrationBody(credential)), 'challengeExpired');
  });

  it('invalidClientData: wrong origin, wrong type, or a challenge the tenant never issued', async () => {
    const options = await creationOptions(MAJA);
    const challenge = options.publicKey.challenge;
    const cases = [
      serializeClientData({
        type: 'webauthn.create',
        challenge,
        origin: 'https://login.microsoftonline.com',
        crossOrigin: false,
      }),
      serializeClientData({
        type: 'webauthn.get',
        challenge,
        origin: 'https://login.microsoft.com',
        crossOrigin: false,
      }),
      entraRegistrationClientData(
        'login.microsoft.com',
        Buffer.from('not a challenge').toString('base64url'),
      ),
    ];
    for (const clientDataJSON of cases) {
      const credential = syntheticCredential({
        options,
        aaguid: VIRTUAL_KEY_AAGUID,
        attestation: 'self',
        clientDataJSON,
      });
      expectRefused(await post(MAJA, registrationBody(credential)), 'invalidClientData');
    }
  });

  it('invalidAttestation: another RP, no user verification, an algorithm Entra did not offer, a bad signature', async () => {
    tenant.controls.editPolicy({ isAttestationEnforced: false });
    const options = await creationOptions(MAJA);
    const otherRp = syntheticCredential({
      options,
      aaguid: VIRTUAL_KEY_AAGUID,
      attestation: 'self',
      rpId: 'login.microsoftonline.com',
    });
    expectRefused(await post(MAJA, registrationBody(otherRp)), 'invalidAttestation');
    const noUv = syntheticCredential({
      options,
      aaguid: VIRTUAL_KEY_AAGUID,
      attestation: 'self',
      flags: AuthenticatorDataFlag.UP,
    });
    expectRefused(await post(MAJA, registrationBody(noUv)), 'invalidAttestation');
    const noPin = await key({ pin: null });
    const withoutUv = await makeCredentialFromOptions(noPin, options);
    expectRefused(await post(MAJA, registrationBody(withoutUv)), 'invalidAttestation');
    const eddsa = await makeCredentialFromOptions(await key(), options, { algorithms: [-8] });
    expectRefused(await post(MAJA, registrationBody(eddsa)), 'invalidAttestation');
    const tampered = await makeCredentialFromOptions(await key(), options);
    tampered.attestationObject[tampered.attestationObject.length - 40]! ^= 0x01;
    expectRefused(await post(MAJA, registrationBody(tampered)), 'invalidAttestation');
    // The WebAuthn checks are @simplewebauthn/server's, and its words are kept.
    const details = tenant.controls.rejections({ user: MAJA }).map((r) => r.detail);
    expect(details[0]).toMatch(/^@simplewebauthn\/server: Unexpected RP ID hash/);
    expect(details[1]).toMatch(/User verification was required/);
    expect(details[3]).toMatch(/Unexpected public key alg "-8"/);
    expect(details[4]).toMatch(/^@simplewebauthn\/server:/);
  });

  it('displayNameTooLong over 30 characters; malformedRequest names the member Entra does not expect', async () => {
    const softKey = await key();
    const credential = await makeCredentialFromOptions(softKey, await creationOptions(MAJA));
    expectRefused(
      await post(MAJA, registrationBody(credential, 'x'.repeat(31))),
      'displayNameTooLong',
    );
    const body = registrationBody(credential, 'x'.repeat(30));
    const withRawId = structuredClone(body) as { publicKeyCredential: Record<string, unknown> };
    withRawId.publicKeyCredential.rawId = withRawId.publicKeyCredential.id;
    const answer = await post(MAJA, withRawId);
    expectRefused(answer, 'malformedRequest');
    expect(answer.json.error.message).toMatch(
      /'rawId' does not exist on type 'microsoft.graph.webauthnPublicKeyCredential'/,
    );
    const withType = structuredClone(body) as { publicKeyCredential: Record<string, unknown> };
    withType.publicKeyCredential.type = 'public-key';
    expectRefused(await post(MAJA, withType), 'malformedRequest');
    expect((await post(MAJA, body)).status).toBe(201);
  });
});

describe("the tenant's own rules", () => {
  it('are each labelled documented or assumed, and a refusal says which', async () => {
    for (const [name, rule] of Object.entries(ENTRA_RULES)) {
      expect(['documented', 'assumed'], name).toContain(rule.basis);
      expect(rule.source.length, name).toBeGreaterThan(10);
    }
    expect(ENTRA_RULES.attestationFormat.basis).toBe('documented');
    expect(ENTRA_RULES.challengeExpired.basis).toBe('documented');
    expect(ENTRA_RULES.selfServiceDisabled.basis).toBe('documented');
    expect(ENTRA_RULES.displayNameLength.basis).toBe('assumed');
    expect(ENTRA_RULES.origin.basis).toBe('assumed');
    expect(ENTRA_RULES.duplicate.basis).toBe('assumed');
    const credential = await makeCredentialFromOptions(await key(), await creationOptions(MAJA));
    expectRefused(
      await post(MAJA, registrationBody(credential, 'y'.repeat(31))),
      'displayNameTooLong',
    );
    expect(tenant.controls.rejections({ user: MAJA }).at(-1)!.detail).toMatch(
      /\[assumed rule: displayNameLength\]$/,
    );
  });
});
