import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeCreationOptions } from '../../../core/graph/decode-creation-options.ts';
import { GraphError } from '../../../core/graph/graph-error.ts';
import { rejection } from '../../support/caught.ts';
import type { GraphGateway, GraphGatewayOptions } from '../../../core/graph/graph-gateway.ts';
import { loadTenantSeed } from '../../../local/tenant/seed/load-tenant-seed.ts';
import { startLocalTenant, type LocalTenant } from '../../../local/tenant/start-local-tenant.ts';
import { systemRetryClock } from '../../../core/graph/retry-clock.ts';
import { tenantGateway } from '../../support/tenant-gateway.ts';
import { attemptDisplayName } from '../../../core/graph/registered-method-match.ts';
import type { FaultSettings } from '../../../local/tenant/controls/fault-plan.ts';
import { methodIdForms } from '../../../local/tenant/graph/method-id.ts';
import {
  issueAttestationIdentity,
  VIRTUAL_ATTESTATION_ROOT_PEM,
} from '../../../station/virtual-key/attestation-authority.ts';
import { FidoMetadata } from '../../../core/graph/fido-metadata.ts';
import { VIRTUAL_KEY_AAGUID } from '../../../station/virtual-key/virtual-key.ts';
import {
  makeCredentialFromOptions,
  softwareKey,
  type GraphCreationOptions,
} from '../../local/support/software-key-registration.ts';

const FALLBACK_APPROVERS = '715fa8bf-b1d3-4c74-afd3-91e0654f74da';
/** The catalog id of the Passkey Courier Teams app in the demo organisation. */
const PASSKEY_COURIER_TEAMS_APP = '08157b45-1f7c-4c5b-9e08-b1411fb757a7';

let tenant: LocalTenant;
let now = Date.parse('2026-11-28T12:00:00Z');
const START = Date.parse('2026-11-28T12:00:00Z');

/** The gateway reads the tenant's clock, as a real deployment and Graph share real time. */
function gateway(options: Partial<GraphGatewayOptions> = {}): GraphGateway {
  return tenantGateway(tenant, { clock: { ...systemRetryClock, now: () => now }, ...options });
}

function failure(promise: Promise<unknown>): Promise<GraphError> {
  return rejection(GraphError, promise);
}

/** A real credential from a software key, made from options the gateway fetched. */
async function registerWithSoftwareKey(
  client: GraphGateway,
  upn: string,
  displayName = 'Software key',
) {
  const user = await client.getUser(upn);
  const options = await client.getCreationOptions(user.id);
  const key = await softwareKey();
  try {
    const made = await makeCredentialFromOptions(key, options.raw as GraphCreationOptions);
    const registration = {
      displayName,
      credentialId: made.credentialId,
      clientDataJSON: new TextEncoder().encode(made.clientDataJSON),
      attestationObject: made.attestationObject,
      clientExtensionResults: { hmacCreateSecret: true },
    };
    return { user, options, registration, made };
  } finally {
    await key.close();
  }
}

/** A live credential POSTed again would be refused as a duplicate: no test may do that. */
function expectNoSecondPostOfALiveCredential(): void {
  expect(
    tenant.controls.rejections().filter((r) => r.cause === 'alreadyRegistered'),
    'a live credential was POSTed again',
  ).toEqual([]);
}

describe.each(methodIdForms)('the gateway against a local tenant with %s method ids', (form) => {
  beforeAll(async () => {
    tenant = await startLocalTenant({
      port: 0,
      tlsDirectory: mkdtempSync(join(tmpdir(), 'courier-gw-tls-')),
      now: () => now,
      methodIds: form,
    });
  });
  afterAll(async () => tenant?.close());
  afterEach(() => {
    expectNoSecondPostOfALiveCredential();
    tenant.controls.reset();
    now = START;
  });

  it(`issues ${form} method ids`, async () => {
    const client = gateway();
    const maja = await client.getUser('maja.lind@fabrikam.example');
    const [seeded] = await client.listFido2Methods(maja.id);
    if (form === 'guid') expect(seeded!.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4/);
    else expect(seeded!.id).toMatch(/^[A-Za-z0-9_-]+[012]$/);
  });
  it('reads users with their office address, managers, and the fallback approvers', async () => {
    const client = gateway();
    const sofia = await client.getUser('sofia.marin@fabrikam.example');
    expect(sofia).toMatchObject({ displayName: 'Sofia Marin', accountEnabled: true });
    expect(sofia.city).toBeTruthy();
    expect((await client.getManager(sofia.id))?.userPrincipalName).toBe(
      'nadia.okafor@fabrikam.example',
    );
    const ceo = await client.getUser('nadia.okafor@fabrikam.example');
    const ceosManager = await client.getManager(ceo.id);
    expect(
      ceosManager === null || ceosManager.userPrincipalName === 'lars.eriksson@fabrikam.example',
    ).toBe(true);
    expect(
      (await client.listGroupMembers(FALLBACK_APPROVERS, 1)).map((u) => u.userPrincipalName).sort(),
    ).toEqual(['hana.suzuki@fabrikam.example', 'sofia.marin@fabrikam.example']);
    expect((await failure(client.getUser('nobody@fabrikam.example'))).code).toBe('USER_NOT_FOUND');
  });

  it('reads passkey profiles in v1.0, honours passkeyTypes, and goes by attestationEnforcement', async () => {
    const client = gateway();
    const lea = await client.getUser('lea.schmidt@fabrikam.example');
    const profile = {
      id: '7d1e6c52-2f4b-4b8e-9a51-1c1f2a3b4c5d',
      name: 'Security keys',
      passkeyTypes: 'deviceBound',
      attestationEnforcement: 'disabled' as const,
      keyRestrictions: { isEnforced: false, enforcementType: 'allow' as const, aaGuids: [] },
    };
    tenant.controls.editPolicy({ isAttestationEnforced: true, passkeyProfiles: [profile] });
    const v1 = await client.getFido2Policy('v1.0');
    expect(v1.passkeyProfiles?.map((p) => p.id)).toEqual([profile.id]);
    // isAttestationEnforced (deprecated) still says true; the profile's attestationEnforcement wins.
    expect(await client.preflight(lea.id, VIRTUAL_KEY_AAGUID)).toMatchObject({
      allowed: true,
      attestationEnforced: false,
    });
    tenant.controls.editPolicy({ passkeyProfiles: [{ ...profile, passkeyTypes: 'synced' }] });
    expect(
      (await client.preflight(lea.id, VIRTUAL_KEY_AAGUID)).problems.map((p) => p.code),
    ).toEqual(['PASSKEY_TYPE_NOT_ALLOWED']);
    const { registration } = await registerWithSoftwareKey(client, 'lea.schmidt@fabrikam.example');
    const error = await failure(
      client.registerFido2Method(lea.id, registration, { aaguid: VIRTUAL_KEY_AAGUID }),
    );
    expect(error.code).toBe('PASSKEY_TYPE_NOT_ALLOWED');
    expect(tenant.controls.rejections({ user: lea.id }).map((r) => r.cause)).toEqual([
      'passkeyTypeNotAllowed',
    ]);
  });

  it('fetches v1.0 options with a 5-minute challenge and beta options with a long one', async () => {
    const maja = await gateway().getUser('maja.lind@fabrikam.example');
    const v1 = await gateway().getCreationOptions(maja.id);
    expect(Date.parse(v1.value.challengeTimeoutDateTime) - now).toBe(5 * 60_000);
    expect(v1.value.publicKey.rp.id).toBe('login.microsoft.com');
    // Maja already has a key: its id is listed, in whatever encoding the tenant chose.
    expect(decodeCreationOptions(v1.value).excludeCredentials.length).toBeGreaterThan(0);
    const beta = await gateway({
      creationOptions: { version: 'beta', challengeTimeoutMinutes: 2880 },
    }).getCreationOptions(maja.id);
    expect(Date.parse(beta.value.challengeTimeoutDateTime) - now).toBe(2880 * 60_000);
  });

  it('registers a real software-key credential, lists it, finds it by its attempt name and deletes it', async () => {
    const client = gateway();
    const { user, registration } = await registerWithSoftwareKey(
      client,
      'lea.schmidt@fabrikam.example',
      'Lea · S/N 31337042',
    );
    const preflight = await withMetadata(tenant, () => now).preflight(user.id, VIRTUAL_KEY_AAGUID, {
      attestationRootPem: VIRTUAL_ATTESTATION_ROOT_PEM,
    });
    expect(preflight).toMatchObject({
      allowed: true,
      attestationEnforced: true,
      metadata: 'listed',
    });
    // With the BLOB's signer revoked, the metadata is untrustworthy: unavailable, and why.
    tenant.controls.revokeMetadataSigner('cessationOfOperation');
    const untrusted = await withMetadata(tenant, () => now).preflight(user.id, VIRTUAL_KEY_AAGUID);
    expect(untrusted).toMatchObject({ allowed: true, metadata: 'unavailable' });
    expect(untrusted.metadataError).toMatch(
      /^FIDO metadata BLOB: x5c\[0\] \(CN=Local FIDO Metadata BLOB Signer.*serial 03\) was revoked on .* \(cessationOfOperation\)/,
    );
    const registered = await client.registerFido2Method(user.id, registration, {
      aaguid: VIRTUAL_KEY_AAGUID,
    });
    expect(registered.reconciled).toBe(false);
    expect(registered.value).toMatchObject({
      displayName: attemptDisplayName('Lea · S/N 31337042', registration.credentialId),
      aaGuid: VIRTUAL_KEY_AAGUID,
      attestationLevel: 'attested',
    });
    expect((await client.findRegisteredMethod(user.id, registration))?.id).toBe(
      registered.value.id,
    );
    expect(registered.requestId).toMatch(/[0-9a-f-]{36}/);
    const listed = await client.listFido2Methods(user.id);
    expect(listed.map((m) => m.id)).toContain(registered.value.id);
    expect((await client.deleteFido2Method(user.id, registered.value.id)).value).toBe('deleted');
    expect((await client.deleteFido2Method(user.id, registered.value.id)).value).toBe(
      'already-gone',
    );
  });

  // ALREADY_REGISTERED is classified in graph-gateway.test.ts: here no live credential is resent.
  it('classifies refusals: self-service off, excluded user, AAGUID not allowed, expired challenge', async () => {
    const client = gateway();
    const lea = await registerWithSoftwareKey(client, 'lea.schmidt@fabrikam.example');
    tenant.controls.editPolicy({ isSelfServiceRegistrationAllowed: false });
    let error = await failure(
      client.registerFido2Method(lea.user.id, lea.registration, { aaguid: VIRTUAL_KEY_AAGUID }),
    );
    expect(error.code).toBe('SELF_SERVICE_DISABLED');
    expect(error.requestId).toBeTruthy();
    expect(tenant.controls.rejections({ requestId: error.requestId! }).map((r) => r.cause)).toEqual(
      ['selfServiceDisabled'],
    );
    tenant.controls.reset();

    const kwame = await client.getUser('kwame.asante@fabrikam.example');
    expect(
      (await client.preflight(kwame.id, VIRTUAL_KEY_AAGUID)).problems.map((p) => p.code),
    ).toEqual(['USER_NOT_TARGETED']);

    const omar = await registerWithSoftwareKey(client, 'omar.haddad@fabrikam.example');
    tenant.controls.editPolicy({
      keyRestrictions: {
        isEnforced: true,
        enforcementType: 'allow',
        aaGuids: ['cb69481e-8ff7-4039-93ec-0a2729a154a8'],
      },
    });
    error = await failure(
      client.registerFido2Method(omar.user.id, omar.registration, { aaguid: VIRTUAL_KEY_AAGUID }),
    );
    expect(error.code).toBe('AAGUID_NOT_ALLOWED');
    tenant.controls.reset();

    const late = await registerWithSoftwareKey(client, 'elin.nyberg@fabrikam.example');
    now += 6 * 60_000;
    error = await failure(
      client.registerFido2Method(late.user.id, late.registration, {
        aaguid: VIRTUAL_KEY_AAGUID,
        challengeExpiresAt: late.options.value.challengeTimeoutDateTime,
      }),
    );
    expect(error.code).toBe('CHALLENGE_EXPIRED');
  });

  it('rides out throttling without sending before Retry-After', async () => {
    // Throttling needs time to pass: a tenant on the real clock.
    const throttled = await startLocalTenant({
      port: 0,
      tlsDirectory: mkdtempSync(join(tmpdir(), 'courier-gw-tls-')),
      throttle: { capacity: 2, refillPerSecond: 20 },
    });
    const client = tenantGateway(throttled);
    const users = await Promise.all(
      [
        'sofia.marin@fabrikam.example',
        'hana.suzuki@fabrikam.example',
        'lea.schmidt@fabrikam.example',
        'omar.haddad@fabrikam.example',
      ].map((u) => client.getUser(u)),
    );
    expect(users).toHaveLength(4);
    const counters = throttled.controls.counters();
    await throttled.close();
    expect(counters.throttled).toBeGreaterThan(0);
    expect(counters.earlyRetries).toBe(0);
  });

  it.each([
    ['a dropped connection', 'reset'],
    ['a 503', 503],
    ['a 504', 504],
  ] as const)(
    'finds a registration Graph committed before answering with %s, and POSTs it once',
    async (_what, fault) => {
      const client = gateway();
      const julia = await registerWithSoftwareKey(client, 'julia.rossi@fabrikam.example');
      tenant.controls.setFaults({ afterCommit: [fault] });
      const result = await client.registerFido2Method(julia.user.id, julia.registration, {
        aaguid: VIRTUAL_KEY_AAGUID,
        challengeExpiresAt: julia.options.value.challengeTimeoutDateTime,
      });
      expect(result.reconciled).toBe(true);
      expect(tenant.controls.counters().byOperation.registerFido2Method).toBe(1);
      const methods = await client.listFido2Methods(julia.user.id);
      expect(methods.filter((m) => m.id === result.value.id)).toHaveLength(1);
      expect(methods.filter((m) => m.aaGuid === VIRTUAL_KEY_AAGUID)).toHaveLength(1);
    },
  );

  it.each<[string, FaultSettings]>([
    ['a dropped connection', { resetBeforeCommit: 1 }],
    ['a 503', { errorRate: 1, statuses: [503] }],
  ])(
    'sends again a registration that failed with %s before Graph handled it',
    async (_what, faults) => {
      const client = gateway();
      const omar = await registerWithSoftwareKey(client, 'omar.haddad@fabrikam.example');
      tenant.controls.setFaults(faults);
      // The fault plan fails everything at errorRate 1: lift it once the first POST has failed.
      const unfault = setTimeout(() => tenant.controls.setFaults(null), 50);
      try {
        const result = await client.registerFido2Method(omar.user.id, omar.registration, {
          aaguid: VIRTUAL_KEY_AAGUID,
        });
        expect(result.reconciled).toBe(false);
        expect(result.value.aaGuid).toBe(VIRTUAL_KEY_AAGUID);
      } finally {
        clearTimeout(unfault);
      }
    },
  );

  it('installs the Teams app for an approver and finds the bot chat', async () => {
    const client = gateway();
    const hana = await client.getUser('hana.suzuki@fabrikam.example');
    const first = await client.installTeamsAppForUser(hana.id, PASSKEY_COURIER_TEAMS_APP);
    const second = await client.installTeamsAppForUser(hana.id, PASSKEY_COURIER_TEAMS_APP);
    expect(second).toEqual(first);
    expect(first.chatId).toMatch(/^19:/);
  });
});

/**
 * A gateway whose preflight reads the tenant's MDS3 BLOB, verified against its metadata root and
 * the CRLs the tenant serves, by the tenant's clock (its CRLs are current by that clock).
 */
function withMetadata(target: LocalTenant, clock?: () => number): GraphGateway {
  return tenantGateway(target, {
    metadata: new FidoMetadata({
      url: target.metadata.url,
      rootsPem: [target.metadata.rootPem],
      caPem: target.caPem,
      ...(clock ? { now: clock } : {}),
    }),
  });
}

describe('the gateway against tenants that refuse more', () => {
  async function customTenant(change: (seed: Awaited<ReturnType<typeof loadTenantSeed>>) => void) {
    const seed = await loadTenantSeed();
    change(seed);
    const custom = await startLocalTenant({
      port: 0,
      tlsDirectory: mkdtempSync(join(tmpdir(), 'courier-gw-tls-')),
      seed,
    });
    const client = tenantGateway(custom, { retry: { deadlineMs: 1_500 } });
    return { custom, client };
  }

  it('says at start-up that beta pre-fetch needs more than the least-privileged passkey permission', async () => {
    const { custom, client } = await customTenant((seed) => {
      const app = seed.applications.find((a) => a.key === 'functions')!;
      for (const access of app.requiredResourceAccess ?? []) {
        access.roles = access.roles.filter((r) => r !== 'UserAuthenticationMethod.ReadWrite.All');
      }
    });
    try {
      expect(await client.checkPermissions()).toEqual([]); // v1.0 needs no more
      const beta = tenantGateway(custom, {
        creationOptions: { version: 'beta', challengeTimeoutMinutes: 1440 },
      });
      const [problem] = await beta.checkPermissions();
      expect(problem).toMatch(
        /FIDO2_OPTIONS_API=beta .* needs the Graph application permission UserAuthenticationMethod\.ReadWrite\.All.*has only the least-privileged UserAuthMethod-Passkey\.ReadWrite\.All/,
      );
      // The tenant follows Microsoft's page: the request itself is refused too.
      const user = await client.getUser('daniel.osei@fabrikam.example');
      expect((await failure(beta.getCreationOptions(user.id))).code).toBe(
        'INSUFFICIENT_PRIVILEGES',
      );
      expect((await client.getCreationOptions(user.id)).value.publicKey.challenge).toBeTruthy();
    } finally {
      await custom.close();
    }
  });

  it('names an attestation the tenant does not trust: the metadata lists another root for the key', async () => {
    const stranger = await issueAttestationIdentity(new Uint8Array(16), 'another vendor');
    const { custom, client } = await customTenant((seed) => {
      seed.attestationRoots = [
        { name: 'Another vendor', pem: stranger.rootPem, aaguids: [VIRTUAL_KEY_AAGUID] },
      ];
    });
    try {
      const { user, registration } = await registerWithSoftwareKey(
        client,
        'daniel.osei@fabrikam.example',
      );
      const checked = await withMetadata(custom).preflight(user.id, VIRTUAL_KEY_AAGUID, {
        attestationRootPem: VIRTUAL_ATTESTATION_ROOT_PEM,
      });
      expect(checked.metadata).toBe('listed');
      expect(checked.problems.map((p) => p.code)).toEqual(['ATTESTATION_NOT_TRUSTED']);
      const error = await failure(
        client.registerFido2Method(user.id, registration, { aaguid: VIRTUAL_KEY_AAGUID }),
      );
      expect(error.code).toBe('ATTESTATION_NOT_TRUSTED');
      expect(
        custom.controls.rejections({ requestId: error.requestId! }).map((r) => r.cause),
      ).toEqual(['attestationNotTrusted']);
    } finally {
      await custom.close();
    }
  });

  it.each([
    ['on', true],
    ['off', false],
  ])(
    'trusts attestation by the MDS3 metadata with enforcement %s: a key not in it is refused only when enforced',
    async (_label, enforced) => {
      const { custom, client } = await customTenant((seed) => {
        // The software key's root is known, but the metadata lists no authenticator for it.
        seed.attestationRoots = seed.attestationRoots.map((r) => ({ ...r, aaguids: [] }));
        seed.fido2Policy.isAttestationEnforced = enforced;
      });
      try {
        const { user, registration } = await registerWithSoftwareKey(
          client,
          'daniel.osei@fabrikam.example',
        );
        const checked = await withMetadata(custom).preflight(user.id, VIRTUAL_KEY_AAGUID);
        if (enforced) {
          expect(checked).toMatchObject({ allowed: false, metadata: 'not-listed' });
          expect(checked.problems[0]!.message).toMatch(/not in the FIDO Metadata Service/);
          const error = await failure(
            client.registerFido2Method(user.id, registration, { aaguid: VIRTUAL_KEY_AAGUID }),
          );
          expect(error.code).toBe('ATTESTATION_NOT_TRUSTED');
          expect(custom.controls.rejections().map((r) => r.cause)).toEqual([
            'attestationNotTrusted',
          ]);
        } else {
          expect(checked).toMatchObject({ allowed: true, attestationEnforced: false });
          expect(checked.metadata).toBeUndefined();
          const registered = await client.registerFido2Method(user.id, registration, {
            aaguid: VIRTUAL_KEY_AAGUID,
          });
          expect(registered.value.attestationLevel).toBe('notAttested');
        }
      } finally {
        await custom.close();
      }
    },
  );

  it('names a missing Graph permission, and throttling that outlasts the retry budget', async () => {
    const { custom, client } = await customTenant((seed) => {
      const app = seed.applications.find((a) => a.key === 'functions')!;
      for (const access of app.requiredResourceAccess ?? []) {
        access.roles = access.roles.filter((r) => !r.startsWith('UserAuth'));
      }
    });
    try {
      const user = await client.getUser('daniel.osei@fabrikam.example');
      const denied = await failure(client.listFido2Methods(user.id));
      expect(denied.code).toBe('INSUFFICIENT_PRIVILEGES');
      expect(denied.graphCode).toBe('Authorization_RequestDenied');
      custom.controls.setThrottle({ capacity: 1, refillPerSecond: 0.2 });
      const results = await Promise.allSettled([
        client.getUser(user.id),
        client.getUser(user.id),
        client.getUser(user.id),
      ]);
      const throttled = results
        .filter((r) => r.status === 'rejected')
        .map((r) => (r.reason as GraphError).code);
      expect(throttled.length).toBeGreaterThan(0);
      expect(new Set(throttled)).toEqual(new Set(['THROTTLED']));
    } finally {
      await custom.close();
    }
  });
});
