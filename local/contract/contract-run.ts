import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TokenCredential } from '@azure/core-auth';
import { decodeJwt } from 'jose';
import { buildRegistrationBody } from '../../core/graph/fido2-registration.ts';
import {
  BETA_OPTIONS_PERMISSION,
  LEAST_PRIVILEGED_PASSKEY_PERMISSION,
} from '../../core/graph/graph-gateway.ts';
import {
  attemptDisplayName,
  methodIdIsCredentialId,
} from '../../core/graph/registered-method-match.ts';
import { base64Readings } from '../../core/webauthn/base64url.ts';
import type { ContractCheck, ContractReport } from './contract-report.ts';
import { summarise } from './contract-report.ts';
import { GraphProbe, type ProbeAnswer } from './graph-probe.ts';
import {
  makeSoftwareCredential,
  type ContractCreationOptions,
  type SoftwareCredential,
} from './software-key-credential.ts';

export interface ContractSettings {
  credential: TokenCredential;
  /** https://graph.microsoft.com, or the local tenant's root. */
  graphBaseUrl: string;
  caPem?: string;
  tenantId?: string;
  /** The test user (UPN or id): the one user the run creates anything for. */
  testUser: string;
  /** Another user, only read (their creation options), for the "another user's challenge" case. */
  otherUser?: string;
  /** Moves the tenant's clock (the local tenant only), for the expired-challenge case. */
  advanceClock?: (ms: number) => void;
  /** Against a real tenant: wait the 5 minutes for a challenge to expire. */
  waitForExpiry?: boolean;
}

const POLICY_PATH =
  '/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/fido2';
const NAME = 'Courier contract';

/**
 * Records what Graph answers for everything the project relies on, next to what the project
 * expects: creation options (v1.0 and beta), registration, list, delete, the refusals the tenant's
 * settings allow, the passkey policy in both versions, permissions and the trace headers. It
 * creates software-key credentials for the test user only, and deletes every one it created.
 */
export async function runContract(settings: ContractSettings): Promise<ContractReport> {
  const startedAt = new Date().toISOString();
  const probe = new GraphProbe(settings.credential, settings.graphBaseUrl, settings.caPem);
  const checks: ContractCheck[] = [];
  const created: { what: string; methodId: string; deleted: boolean }[] = [];
  const user = encodeURIComponent(settings.testUser);
  const methods = `/users/${user}/authentication/fido2Methods`;
  const key = { make: makeSoftwareCredential };

  const record = (
    check: Omit<ContractCheck, 'status' | 'code' | 'message' | 'requestId'>,
    answer?: ProbeAnswer,
  ) => {
    checks.push({
      ...check,
      ...(answer
        ? {
            status: answer.status,
            ...(answer.error?.code ? { code: answer.error.code } : {}),
            ...(answer.error?.message ? { message: answer.error.message } : {}),
            ...(answer.headers.requestId ? { requestId: answer.headers.requestId } : {}),
          }
        : {}),
    });
  };
  const expectStatus = (
    id: string,
    area: string,
    expected: number,
    answer: ProbeAnswer,
    note?: string,
  ) =>
    record(
      {
        id,
        area,
        expected: `${expected}`,
        observed: `${answer.status}${answer.error ? ` ${answer.error.code ?? ''}: ${answer.error.message ?? ''}` : ''}`,
        verdict: answer.status === expected ? 'match' : 'differs',
        ...(note ? { note } : {}),
      },
      answer,
    );
  const options = async (who = user): Promise<ContractCreationOptions | undefined> => {
    const answer = await probe.call(
      'GET',
      `/v1.0/users/${who}/authentication/fido2Methods/creationOptions`,
    );
    return answer.status === 200 ? (answer.json as ContractCreationOptions) : undefined;
  };
  const post = (credential: SoftwareCredential, name: string, attestation?: Uint8Array) =>
    probe.call(
      'POST',
      `/v1.0${methods}`,
      buildRegistrationBody({
        displayName: name,
        credentialId: credential.credentialId,
        clientDataJSON: credential.clientDataJSON,
        attestationObject: attestation ?? credential.attestationObject,
        clientExtensionResults: {},
      }),
    );
  /** A refusal case: a 201 is a difference, and the method it made is deleted at once. */
  const refusal = (id: string, answer: ProbeAnswer, expected: number, note: string): void => {
    expectStatus(id, 'failure matrix', expected, answer, note);
    const methodId = (answer.json as { id?: string } | undefined)?.id;
    if (answer.status === 201 && methodId) {
      created.push({ what: `${id} (accepted)`, methodId, deleted: false });
    }
  };

  try {
    // Permissions, from the app's token (never recorded).
    const claims = decodeJwt(await probe.token());
    const roles = Array.isArray(claims.roles) ? claims.roles.map(String) : [];
    const passkeyWrite = [LEAST_PRIVILEGED_PASSKEY_PERMISSION, BETA_OPTIONS_PERMISSION].filter(
      (r) => roles.includes(r),
    );
    record({
      id: 'permissions.passkeys',
      area: 'permissions',
      expected: `${LEAST_PRIVILEGED_PASSKEY_PERMISSION} (least privileged) or ${BETA_OPTIONS_PERMISSION}`,
      observed: passkeyWrite.join(', ') || 'none',
      verdict: passkeyWrite.length > 0 ? 'match' : 'differs',
    });
    const policyRead = ['Policy.Read.All', 'Policy.Read.AuthenticationMethod'].filter((r) =>
      roles.includes(r),
    );
    record({
      id: 'permissions.policy',
      area: 'permissions',
      expected: 'Policy.Read.All or Policy.Read.AuthenticationMethod (for the preflight)',
      observed: policyRead.join(', ') || 'none',
      verdict: policyRead.length > 0 ? 'match' : 'differs',
    });

    // v1.0 creation options.
    const v1 = await probe.call('GET', `/v1.0${methods}/creationOptions`);
    const body = v1.json as
      | (ContractCreationOptions & { challengeTimeoutDateTime?: string; value?: unknown })
      | undefined;
    expectStatus('options.v1.status', 'creationOptions v1.0', 200, v1);
    const shaped =
      !!body?.publicKey?.challenge &&
      !!body.publicKey.rp?.id &&
      !!body.publicKey.user?.id &&
      Array.isArray(body.publicKey.pubKeyCredParams);
    record({
      id: 'options.v1.shape',
      area: 'creationOptions v1.0',
      expected:
        'an unwrapped webauthnCredentialCreationOptions: challengeTimeoutDateTime and publicKey {rp, user, challenge, pubKeyCredParams} at the top (no "value")',
      observed: body
        ? `top-level keys: ${Object.keys(body).join(', ')}; rp.id ${body.publicKey?.rp?.id ?? '-'}; algs ${body.publicKey?.pubKeyCredParams?.map((p) => p.alg).join(',') ?? '-'}`
        : 'no body',
      verdict: shaped && body?.value === undefined ? 'match' : 'differs',
    });
    const expiresIn = body?.challengeTimeoutDateTime
      ? (Date.parse(body.challengeTimeoutDateTime) - Date.now()) / 60_000
      : Number.NaN;
    record({
      id: 'options.v1.expiry',
      area: 'creationOptions v1.0',
      expected: 'challengeTimeoutDateTime about 5 minutes ahead',
      observed: Number.isNaN(expiresIn) ? 'absent' : `${expiresIn.toFixed(1)} minutes ahead`,
      verdict: expiresIn > 3.5 && expiresIn <= 6.5 ? 'match' : 'differs',
      note: 'Compared with this machine’s clock; a skewed clock shows here.',
    });
    const challenge = body?.publicKey?.challenge ?? '';
    const excluded = body?.publicKey?.excludeCredentials ?? [];
    const encodings = new Set(
      excluded.map((c) =>
        /[+/=]/.test(c.id)
          ? 'base64 (padded)'
          : /[0-2]$/.test(c.id)
            ? 'base64url or .NET'
            : 'base64url',
      ),
    );
    record({
      id: 'options.v1.encodings',
      area: 'creationOptions v1.0',
      expected: 'challenge base64url without padding; excludeCredentials ids decodable',
      observed: `challenge ${challenge.length} characters, ${/^[A-Za-z0-9_-]+$/.test(challenge) ? 'base64url' : 'not base64url'}; ${excluded.length} excluded (${[...encodings].join(', ') || 'none'})`,
      verdict:
        /^[A-Za-z0-9_-]+$/.test(challenge) &&
        excluded.every((c) => {
          try {
            return base64Readings(c.id).length > 0;
          } catch {
            return false;
          }
        })
          ? 'match'
          : 'differs',
    });

    // beta: the function form works, the query form does not.
    const betaFunction = await probe.call(
      'GET',
      `/beta${methods}/creationOptions(challengeTimeoutInMinutes=10)`,
    );
    const betaLeastOnly = !roles.includes(BETA_OPTIONS_PERMISSION);
    if (betaLeastOnly && betaFunction.status === 403) {
      record(
        {
          id: 'options.beta.function',
          area: 'creationOptions beta',
          expected: '200 with a 10-minute challenge',
          observed: `403 ${betaFunction.error?.code ?? ''}`,
          verdict: 'explained',
          note: `The app has not ${BETA_OPTIONS_PERMISSION}, the only permission Microsoft's beta page lists; pre-fetching needs it (the app says so at start-up).`,
        },
        betaFunction,
      );
    } else {
      const minutes = (betaFunction.json as { challengeTimeoutDateTime?: string } | undefined)
        ?.challengeTimeoutDateTime;
      const ahead = minutes ? (Date.parse(minutes) - Date.now()) / 60_000 : Number.NaN;
      record(
        {
          id: 'options.beta.function',
          area: 'creationOptions beta',
          expected:
            '200 with a 10-minute challenge (creationOptions(challengeTimeoutInMinutes=10))',
          observed: `${betaFunction.status}, ${Number.isNaN(ahead) ? 'no expiry' : `${ahead.toFixed(1)} minutes ahead`}`,
          verdict:
            betaFunction.status === 200 && ahead > 8.5 && ahead <= 11.5 ? 'match' : 'differs',
        },
        betaFunction,
      );
    }
    const betaQuery = await probe.call(
      'GET',
      `/beta${methods}/creationOptions?challengeTimeoutInMinutes=10`,
    );
    expectStatus(
      'options.beta.query',
      'creationOptions beta',
      405,
      betaQuery,
      'The query-string form answered 405 methodNotAllowed for DSInternals users (webauthn-interop #13, #33).',
    );

    // The passkey policy in both versions.
    let attestationEnforced = false;
    for (const version of ['v1.0', 'beta'] as const) {
      const policy = await probe.call('GET', `/${version}${POLICY_PATH}`);
      const json = (policy.json ?? {}) as {
        passkeyProfiles?: { attestationEnforcement?: string; passkeyTypes?: string }[];
        defaultPasskeyProfile?: string;
        isAttestationEnforced?: boolean;
      };
      const profiles = json.passkeyProfiles;
      if (version === 'v1.0') {
        attestationEnforced = profiles?.length
          ? profiles.some((p) => p.attestationEnforcement === 'registrationOnly')
          : json.isAttestationEnforced === true;
      }
      record(
        {
          id: `policy.${version}`,
          area: 'passkey policy',
          expected:
            'passkeyProfiles (passkeyTypes, attestationEnforcement) and defaultPasskeyProfile',
          observed: `${policy.status}; ${profiles ? `${profiles.length} profile(s): ${profiles.map((p) => `${p.passkeyTypes ?? '?'}/${p.attestationEnforcement ?? '?'}`).join('; ')}` : 'no passkeyProfiles'}; defaultPasskeyProfile ${json.defaultPasskeyProfile ? 'set' : 'absent'}; isAttestationEnforced ${String(json.isAttestationEnforced)}`,
          verdict:
            policy.status === 200 && profiles?.length
              ? 'match'
              : policy.status === 200
                ? 'explained'
                : 'differs',
          ...(policy.status === 200 && !profiles?.length
            ? {
                note: 'This tenant is not on passkey profiles yet: the deprecated isAttestationEnforced and keyRestrictions are all there is.',
              }
            : {}),
        },
        policy,
      );
    }

    // Register a software-key credential.
    if (!body?.publicKey) throw new Error('No creation options: nothing can be registered.');
    const credential = await key.make(body);
    const name = attemptDisplayName(NAME, credential.credentialId);
    const registered = await post(credential, name);
    const method = registered.json as
      { id?: string; displayName?: string; aaGuid?: string; createdDateTime?: string } | undefined;
    expectStatus('register.status', 'register', 201, registered);
    if (registered.status === 201 && method?.id) {
      created.push({ what: 'software-key credential', methodId: method.id, deleted: false });
      const missing = ['id', 'displayName', 'aaGuid', 'createdDateTime', 'attestationLevel'].filter(
        (p) => !(p in (method as object)),
      );
      record({
        id: 'register.properties',
        area: 'register',
        expected: 'id, displayName, aaGuid, createdDateTime, attestationLevel',
        observed: `properties ${Object.keys(method).join(', ')}`,
        verdict: missing.length === 0 ? 'match' : 'differs',
      });
      record({
        id: 'register.displayName',
        area: 'register',
        expected: `displayName kept exactly (recovery matches on it): "${name}"`,
        observed: `"${method.displayName ?? ''}"`,
        verdict: method.displayName === name ? 'match' : 'differs',
      });
      record({
        id: 'register.aaGuid',
        area: 'register',
        expected: `the key's AAGUID ${credential.aaguid}`,
        observed: method.aaGuid ?? 'absent',
        verdict: method.aaGuid?.toLowerCase() === credential.aaguid ? 'match' : 'differs',
      });
      const sameAsCredential = methodIdIsCredentialId({ id: method.id }, credential.credentialId);
      record({
        id: 'register.methodId',
        area: 'register',
        expected: 'recorded only: nothing documents how the method id relates to the credential id',
        observed: sameAsCredential
          ? 'the credential id (some base64 form)'
          : 'not the credential id (e.g. a GUID)',
        verdict: 'match',
        note: 'The project finds methods by display name, AAGUID and createdDateTime, not by id.',
      });

      const list = await probe.call('GET', `/v1.0${methods}`);
      const listed = (
        (list.json as { value?: { id: string; displayName?: string }[] })?.value ?? []
      ).filter((m) => m.id === method.id);
      record(
        {
          id: 'list.contains',
          area: 'list',
          expected: '200, the new method listed with its display name',
          observed: `${list.status}; listed ${listed.length}${listed[0] ? ` as "${listed[0].displayName ?? ''}"` : ''}`,
          verdict: list.status === 200 && listed[0]?.displayName === name ? 'match' : 'differs',
        },
        list,
      );

      // The same credential twice.
      refusal(
        'refuse.duplicate',
        await post(credential, name),
        400,
        'Graph documents no code for a duplicate; the project expects a bare 400.',
      );
    }

    // A 31-character name.
    const fresh = await options();
    if (fresh) {
      const long = await key.make(fresh);
      refusal(
        'refuse.name31',
        await probe.call('POST', `/v1.0${methods}`, {
          ...buildRegistrationBody({
            displayName: 'x',
            credentialId: long.credentialId,
            clientDataJSON: long.clientDataJSON,
            attestationObject: long.attestationObject,
          }),
          displayName: 'C'.repeat(31),
        }),
        400,
        'Assumed limit: 30 characters (the docs say only "optional").',
      );
    }

    // `none` attestation with enforcement on.
    if (attestationEnforced) {
      const noneOptions = await options();
      if (noneOptions) {
        const none = await key.make(noneOptions);
        refusal(
          'refuse.noneAttestation',
          await post(none, attemptDisplayName(NAME, none.credentialId), none.noneAttestationObject),
          400,
          'With attestation enforced, a "none" attestation cannot be trusted.',
        );
      }
    } else {
      record({
        id: 'refuse.noneAttestation',
        area: 'failure matrix',
        expected: '400 with attestation enforced',
        observed: 'not run',
        verdict: 'skipped',
        note: 'The tenant does not enforce attestation.',
      });
    }

    // Another user's challenge.
    if (settings.otherUser) {
      const theirs = await options(encodeURIComponent(settings.otherUser));
      if (theirs) {
        const stolen = await key.make(theirs);
        refusal(
          'refuse.otherUsersChallenge',
          await post(stolen, attemptDisplayName(NAME, stolen.credentialId)),
          400,
          "A challenge from another user's creation options.",
        );
      }
    } else {
      record({
        id: 'refuse.otherUsersChallenge',
        area: 'failure matrix',
        expected: '400',
        observed: 'not run',
        verdict: 'skipped',
        note: 'No --other-user given (only their creation options would be read).',
      });
    }

    // An unknown user.
    if (fresh) {
      const stray = await key.make(fresh);
      const unknown = await probe.call(
        'POST',
        `/v1.0/users/${randomUUID()}/authentication/fido2Methods`,
        buildRegistrationBody({
          displayName: attemptDisplayName(NAME, stray.credentialId),
          credentialId: stray.credentialId,
          clientDataJSON: stray.clientDataJSON,
          attestationObject: stray.attestationObject,
        }),
      );
      expectStatus('refuse.unknownUser', 'failure matrix', 404, unknown);
    }

    // An expired challenge.
    const late = await options();
    if (late && (settings.advanceClock || settings.waitForExpiry)) {
      const stale = await key.make(late);
      if (settings.advanceClock) settings.advanceClock(6 * 60_000);
      else await sleep(5.5 * 60_000);
      refusal(
        'refuse.expiredChallenge',
        await post(stale, attemptDisplayName(NAME, stale.credentialId)),
        400,
        'Documented: expired challenges are rejected.',
      );
    } else {
      record({
        id: 'refuse.expiredChallenge',
        area: 'failure matrix',
        expected: '400 after challengeTimeoutDateTime',
        observed: 'not run',
        verdict: 'skipped',
        note: 'Takes 5 minutes on a real tenant: run with --wait-for-expiry.',
      });
    }

    // Delete: 204, then 404.
    const first = created[0];
    if (first && first.what === 'software-key credential') {
      const deleted = await probe.call(
        'DELETE',
        `/v1.0${methods}/${encodeURIComponent(first.methodId)}`,
      );
      expectStatus('delete.status', 'delete', 204, deleted);
      if (deleted.status === 204) first.deleted = true;
      expectStatus(
        'delete.thenGet',
        'delete',
        404,
        await probe.call('GET', `/v1.0${methods}/${encodeURIComponent(first.methodId)}`),
      );
      expectStatus(
        'delete.again',
        'delete',
        404,
        await probe.call('DELETE', `/v1.0${methods}/${encodeURIComponent(first.methodId)}`),
      );
    }
  } finally {
    for (const entry of created.filter((c) => !c.deleted)) {
      const answer = await probe
        .call('DELETE', `/v1.0${methods}/${encodeURIComponent(entry.methodId)}`)
        .catch(() => undefined);
      entry.deleted = answer?.status === 204 || answer?.status === 404;
    }
  }

  // Trace headers on every answer, and Retry-After where Graph throttled.
  const answers = probe.answers;
  const withoutId = answers.filter((a) => !a.headers.requestId).length;
  const notEchoed = answers.filter(
    (a) => a.headers.clientRequestId !== a.headers.sentClientRequestId,
  ).length;
  record({
    id: 'headers.request-id',
    area: 'throttling and tracing',
    expected: 'request-id on every answer',
    observed: `${answers.length - withoutId} of ${answers.length}`,
    verdict: withoutId === 0 ? 'match' : 'differs',
  });
  record({
    id: 'headers.client-request-id',
    area: 'throttling and tracing',
    expected: 'the client-request-id sent, echoed on every answer',
    observed: `${answers.length - notEchoed} of ${answers.length} echoed`,
    verdict: notEchoed === 0 ? 'match' : 'differs',
  });
  record({
    id: 'headers.retry-after',
    area: 'throttling and tracing',
    expected: 'Retry-After on every 429',
    observed: probe.throttled.length
      ? `${probe.throttled.filter((a) => a.headers.retryAfter).length} of ${probe.throttled.length} 429s`
      : 'no 429 seen',
    verdict: probe.throttled.length
      ? probe.throttled.every((a) => a.headers.retryAfter)
        ? 'match'
        : 'differs'
      : 'explained',
    ...(probe.throttled.length
      ? {}
      : { note: 'The probe does not provoke throttling on purpose; nothing was throttled.' }),
  });
  const left = await probe.call('GET', `/v1.0${methods}`).catch(() => undefined);
  const ours = ((left?.json as { value?: { id: string }[] } | undefined)?.value ?? []).filter((m) =>
    created.some((c) => c.methodId === m.id),
  );
  record({
    id: 'cleanup',
    area: 'cleanup',
    expected: 'every method the run created is gone',
    observed: `${created.length} created, ${ours.length} still listed`,
    verdict: ours.length === 0 && created.every((c) => c.deleted) ? 'match' : 'differs',
  });
  probe.close();
  return {
    tool: 'passkey-courier contract',
    version: 1,
    startedAt,
    finishedAt: new Date().toISOString(),
    target: {
      graph: settings.graphBaseUrl,
      tenantId: settings.tenantId,
      testUser: settings.testUser,
    },
    checks,
    summary: summarise(checks),
    created: created.map((c) => ({ what: c.what, deleted: c.deleted })),
  };
}
