import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { manualClock } from '../../local/tenant/clock.ts';
import { startLocalTenant, type LocalTenant } from '../../local/tenant/start-local-tenant.ts';
import { appToken, call } from './support/tenant-http.ts';
import {
  makeCredentialFromOptions,
  registrationBody,
  softwareKey,
  type GraphCreationOptions,
} from './support/software-key-registration.ts';

const START = Date.parse('2026-06-01T12:00:00Z');
const clock = manualClock(START);
const USER = '/v1.0/users/maja.lind@fabrikam.example';
let tenant: LocalTenant;
let token: string;

beforeAll(async () => {
  tenant = await startLocalTenant({
    tlsDirectory: mkdtempSync(join(tmpdir(), 'tenant-tls-')),
    now: clock.now,
  });
  token = await appToken(tenant);
});
afterAll(async () => {
  await tenant.close();
});
beforeEach(async () => {
  clock.set(START);
  expect((await call(tenant, 'POST', '/_courier/tenant/reset')).status).toBe(204);
});

describe('throttling', () => {
  it('is a token bucket: 429 TooManyRequests with Retry-After in seconds, refilled as time passes', async () => {
    expect(
      (
        await call(tenant, 'PUT', '/_courier/tenant/throttle', {
          json: { capacity: 2, refillPerSecond: 0.5 },
        })
      ).status,
    ).toBe(204);
    expect((await call(tenant, 'GET', USER, { token })).status).toBe(200);
    expect((await call(tenant, 'GET', USER, { token })).status).toBe(200);
    const throttled = await call(tenant, 'GET', USER, { token });
    expect(throttled.status).toBe(429);
    expect(throttled.headers['retry-after']).toBe('2');
    expect(throttled.json.error.code).toBe('TooManyRequests');
    expect(throttled.json.error.innerError['request-id']).toBe(throttled.headers['request-id']);
    // Coming back before Retry-After has passed is counted as an early retry.
    clock.advance(1000);
    expect((await call(tenant, 'GET', USER, { token })).status).toBe(429);
    clock.advance(1500);
    expect((await call(tenant, 'GET', USER, { token })).status).toBe(200);
    const counters = (await call(tenant, 'GET', '/_courier/tenant/counters')).json;
    expect(counters).toMatchObject({ throttled: 2, earlyRetries: 1 });
    expect(counters.byOperation.getUser).toBe(5);
    expect(counters.byStatus['429']).toBe(2);
    // Entra's endpoints are not throttled.
    expect((await call(tenant, 'GET', `/${tenant.tenantId}/discovery/v2.0/keys`)).status).toBe(200);
    expect((await call(tenant, 'DELETE', '/_courier/tenant/throttle')).status).toBe(204);
    for (let i = 0; i < 5; i++)
      expect((await call(tenant, 'GET', USER, { token })).status).toBe(200);
  });
});

describe('faults', () => {
  async function statuses(count: number): Promise<string[]> {
    const seen: string[] = [];
    for (let i = 0; i < count; i++) {
      const answer = await call(tenant, 'GET', USER, { token });
      seen.push(
        `${answer.status}${answer.headers['retry-after'] ? `/${answer.headers['retry-after']}` : ''}`,
      );
    }
    return seen;
  }
  const plan = { errorRate: 0.4, statuses: [500, 503, 504], retryAfterSeconds: 3, seed: 'run 7' };

  it('injects 5xx at a rate, the same ones in the same order for the same seed', async () => {
    await call(tenant, 'PUT', '/_courier/tenant/faults', { json: plan });
    const first = await statuses(30);
    expect(first.filter((s) => s !== '200').length).toBeGreaterThan(5);
    expect(first.filter((s) => s !== '200').length).toBeLessThan(20);
    expect(new Set(first.filter((s) => s !== '200'))).toEqual(new Set(['500', '503/3', '504']));
    await call(tenant, 'PUT', '/_courier/tenant/faults', { json: plan });
    expect(await statuses(30)).toEqual(first);
    await call(tenant, 'PUT', '/_courier/tenant/faults', { json: { ...plan, seed: 'run 8' } });
    expect(await statuses(30)).not.toEqual(first);
    const failed = await call(tenant, 'GET', '/_courier/tenant/counters');
    expect(failed.json.injectedFaults).toBeGreaterThan(10);
  });

  it('adds latency', async () => {
    await call(tenant, 'PUT', '/_courier/tenant/faults', { json: { latencyMs: 150 } });
    const started = performance.now();
    expect((await call(tenant, 'GET', USER, { token })).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('resets the connection after committing a registration (outcome unknown), or before', async () => {
    const keys = await Promise.all([softwareKey(), softwareKey(), softwareKey()]);
    const unused = [...keys];
    try {
      // A new key each time: the software key honours excludeCredentials like a real one.
      const register = async () => {
        const key = unused.pop()!;
        const options = (
          await call(tenant, 'GET', `${USER}/authentication/fido2Methods/creationOptions`, {
            token,
          })
        ).json as GraphCreationOptions;
        const credential = await makeCredentialFromOptions(key, options);
        return call(tenant, 'POST', `${USER}/authentication/fido2Methods`, {
          token,
          json: registrationBody(credential),
        }).then(
          (answer) => answer.status,
          (error: NodeJS.ErrnoException) => error.code ?? error.message,
        );
      };
      const methods = async () =>
        (
          (await call(tenant, 'GET', `${USER}/authentication/fido2Methods`, { token })).json
            .value as unknown[]
        ).length;
      const before = await methods();
      await call(tenant, 'PUT', '/_courier/tenant/faults', {
        json: { resetBeforeCommit: 1, resetAfterCommit: 1 },
      });
      expect(await register()).toBe('ECONNRESET');
      expect(await methods()).toBe(before);
      expect(await register()).toBe('ECONNRESET');
      expect(await methods()).toBe(before + 1);
      expect(await register()).toBe(201);
    } finally {
      await Promise.all(keys.map((k) => k.close()));
    }
  });
});

describe('reset, inspect and the policy', () => {
  it('inspect shows the directory, passkeys, policy and refusals; reset restores the seed', async () => {
    const state = (await call(tenant, 'GET', '/_courier/tenant/state')).json;
    expect(state.users).toHaveLength(20);
    expect(
      state.users.find((u: { personas: string[] }) => u.personas.includes('operator'))
        .userPrincipalName,
    ).toBe('omar.haddad@fabrikam.example');
    expect(state.methods).toHaveLength(3);
    expect(state.policy.state).toBe('enabled');
    const edited = await call(tenant, 'PATCH', '/_courier/tenant/policy', {
      json: { isSelfServiceRegistrationAllowed: false },
    });
    expect(edited.json.isSelfServiceRegistrationAllowed).toBe(false);
    const bad = await call(tenant, 'PATCH', '/_courier/tenant/policy', {
      json: { state: 'sometimes' },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toMatch(/policy\.state/);
    const policy = await call(
      tenant,
      'GET',
      '/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/fido2',
      { token },
    );
    expect(policy.json.isSelfServiceRegistrationAllowed).toBe(false);
    await call(
      tenant,
      'DELETE',
      `${USER}/authentication/fido2Methods/${state.methods[0].id as string}`,
      { token },
    );
    await call(tenant, 'POST', '/_courier/tenant/reset');
    const after = (await call(tenant, 'GET', '/_courier/tenant/state')).json;
    expect(after.policy.isSelfServiceRegistrationAllowed).toBe(true);
    expect(after.methods).toHaveLength(3);
    expect(after.counters.total).toBe(1);
  });

  it('the sign-in check refuses a credential it does not know and users it does not know', async () => {
    expect(
      (
        await call(tenant, 'POST', '/_courier/tenant/sign-in/challenge', {
          json: { user: 'nobody@fabrikam.example' },
        })
      ).status,
    ).toBe(404);
    const challenge = await call(tenant, 'POST', '/_courier/tenant/sign-in/challenge', {
      json: { user: 'ahmed.karimi@fabrikam.example' },
    });
    expect(challenge.json.allowCredentials).toHaveLength(2);
    expect(challenge.json.rpId).toBe('login.microsoft.com');
    const verify = await call(tenant, 'POST', '/_courier/tenant/sign-in/verify', {
      json: {
        credentialId: challenge.json.allowCredentials[0].id,
        clientDataJSON: 'e30',
        authenticatorData: 'AA',
        signature: 'AA',
      },
    });
    expect(verify.status).toBe(400);
    expect(verify.json.reason).toMatch(/seeded without a public key/);
  });
});

describe('the controls are for local callers only', () => {
  it('refuse cross-origin requests, non-JSON bodies and foreign Host headers', async () => {
    const crossOrigin = await call(tenant, 'POST', '/_courier/tenant/reset', {
      headers: { origin: 'https://evil.example' },
    });
    expect(crossOrigin.status).toBe(403);
    const sameOrigin = await call(tenant, 'GET', '/_courier/tenant/counters', {
      headers: { origin: tenant.url },
    });
    expect(sameOrigin.status).toBe(200);
    const form = await call(tenant, 'PATCH', '/_courier/tenant/policy', {
      form: { state: 'disabled' },
    });
    expect(form.status).toBe(415);
    const rebound = await call(tenant, 'GET', '/_courier/tenant/state', {
      headers: { host: 'attacker.example' },
    });
    expect(rebound.status).toBe(403);
    const index = await call(tenant, 'GET', '/_courier/tenant');
    expect(Object.keys(index.json.endpoints)).toContain('PUT /_courier/tenant/throttle');
  });
});
