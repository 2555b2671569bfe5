import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ClientCertificateCredential,
  ClientSecretCredential,
  DeviceCodeCredential,
  type DeviceCodeInfo,
} from '@azure/identity';
import { createLocalJWKSet, decodeJwt, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../local/tenant/clock.ts';
import { startLocalTenant, type LocalTenant } from '../../local/tenant/start-local-tenant.ts';
import { call } from './support/tenant-http.ts';
import { clientCertificate } from '../../local/contract/local-contract-tenant.ts';

let tenant: LocalTenant; // signs in as the "operator" persona with no input
let quiet: LocalTenant; // no persona: device codes wait for someone to approve them
const quietClock = manualClock(Date.parse('2026-05-04T08:00:00Z'));
let functionsApi: string;

beforeAll(async () => {
  const tlsDirectory = mkdtempSync(join(tmpdir(), 'tenant-tls-'));
  [tenant, quiet] = await Promise.all([
    startLocalTenant({ tlsDirectory, persona: 'operator' }),
    startLocalTenant({ tlsDirectory, now: quietClock.now, deviceCodeIntervalSeconds: 1 }),
  ]);
  functionsApi = `api://${tenant.applications.functions!.clientId}`;
});
afterAll(async () => {
  await Promise.all([tenant.close(), quiet.close()]);
});

/** What @azure/identity needs for the local tenant: its URL, no instance discovery, its CA. */
function identityOptions(t: LocalTenant) {
  return {
    authorityHost: t.url,
    disableInstanceDiscovery: true,
    tlsOptions: { ca: t.caPem },
    retryOptions: { maxRetries: 0 },
  };
}

/** Validates a token the way the functions app will: issuer, audience and signature via JWKS. */
async function validate(t: LocalTenant, token: string, audience: string) {
  const discovery = await call(t, 'GET', `/${t.tenantId}/v2.0/.well-known/openid-configuration`);
  const jwks = await call(t, 'GET', new URL(discovery.json.jwks_uri as string).pathname);
  const { payload, protectedHeader } = await jwtVerify(
    token,
    createLocalJWKSet(jwks.json as JSONWebKeySet),
    {
      issuer: discovery.json.issuer as string,
      audience,
      algorithms: ['RS256'],
    },
  );
  return { payload, protectedHeader };
}

describe('@azure/identity against the local tenant', () => {
  it('ClientSecretCredential: an app token for Graph with the application permissions as roles', async () => {
    const functions = tenant.applications.functions!;
    const credential = new ClientSecretCredential(
      tenant.tenantId,
      functions.clientId,
      functions.clientSecret!,
      identityOptions(tenant),
    );
    const token = await credential.getToken('https://graph.microsoft.com/.default');
    expect(token.expiresOnTimestamp).toBeGreaterThan(Date.now() + 3000 * 1000);
    const { payload, protectedHeader } = await validate(
      tenant,
      token.token,
      'https://graph.microsoft.com',
    );
    expect(protectedHeader).toMatchObject({ alg: 'RS256', typ: 'JWT' });
    expect(protectedHeader.kid).toBe(protectedHeader.x5t);
    expect(payload).toMatchObject({
      iss: `${tenant.url}/${tenant.tenantId}/v2.0`,
      tid: tenant.tenantId,
      azp: functions.clientId,
      azpacr: '1',
      appid: functions.clientId,
      idtyp: 'app',
      ver: '2.0',
    });
    expect(payload.sub).toBe(payload.oid);
    expect(payload.roles).toEqual([
      'GroupMember.Read.All',
      'Policy.Read.All',
      'TeamsAppInstallation.ReadWriteSelfForUser.All',
      'User.Read.All',
      'UserAuthMethod-Passkey.ReadWrite.All',
      'UserAuthenticationMethod.ReadWrite.All',
    ]);
    expect(payload).not.toHaveProperty('scp');
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(3600);
    expect(payload.nbf).toBe(payload.iat);
    // The token works on Graph.
    const me = await call(tenant, 'GET', '/v1.0/users/maja.lind@fabrikam.example', {
      token: token.token,
    });
    expect(me.status).toBe(200);
  });

  it('ClientCertificateCredential: a client assertion signed with a registered certificate', async () => {
    const { certificatePem, pemWithKey: pem } = await clientCertificate(
      'CN=Passkey Courier bulk enrolment',
    );
    const functions = tenant.applications.functions!;
    const credential = new ClientCertificateCredential(
      tenant.tenantId,
      functions.clientId,
      { certificate: pem },
      identityOptions(tenant),
    );
    // Not registered yet: Entra's AADSTS700027.
    await expect(credential.getToken('https://graph.microsoft.com/.default')).rejects.toThrow(
      /AADSTS700027/,
    );
    tenant.controls.addClientCertificate('functions', certificatePem);
    const fresh = new ClientCertificateCredential(
      tenant.tenantId,
      functions.clientId,
      { certificate: pem },
      identityOptions(tenant),
    );
    const token = await fresh.getToken('https://graph.microsoft.com/.default');
    const { payload } = await validate(tenant, token.token, 'https://graph.microsoft.com');
    expect(payload.azpacr).toBe('2');
    expect(payload.roles).toContain('UserAuthMethod-Passkey.ReadWrite.All');
  });

  it('DeviceCodeCredential: the configured persona signs in with no browser and no input', async () => {
    const prompts: DeviceCodeInfo[] = [];
    const station = tenant.applications.station!;
    const credential = new DeviceCodeCredential({
      tenantId: tenant.tenantId,
      clientId: station.clientId,
      userPromptCallback: (info) => {
        prompts.push(info);
      },
      ...identityOptions(tenant),
    });
    const token = await credential.getToken(`${functionsApi}/access_as_user`);
    expect(prompts).toHaveLength(1);
    expect(prompts[0]!.verificationUri).toBe(`${tenant.url}/devicelogin`);
    expect(prompts[0]!.userCode).toMatch(/^[A-Z2-9]{9}$/);
    const { payload } = await validate(
      tenant,
      token.token,
      tenant.applications.functions!.clientId,
    );
    const operator = tenant.directory.personas.get('operator')!;
    expect(payload).toMatchObject({
      aud: tenant.applications.functions!.clientId,
      azp: station.clientId,
      azpacr: '0',
      scp: 'access_as_user',
      roles: ['Station.Operator'],
      oid: operator.id,
      name: 'Omar Haddad',
      preferred_username: 'omar.haddad@fabrikam.example',
      upn: 'omar.haddad@fabrikam.example',
      tid: tenant.tenantId,
      ver: '2.0',
    });
    expect(payload.sub).not.toBe(operator.id); // pairwise per application
    expect(typeof payload.sid).toBe('string');
  });
});

describe('device code flow, step by step', () => {
  async function deviceCode(
    t: LocalTenant,
    scope = `${functionsApi}/access_as_user openid profile offline_access`,
  ) {
    const answer = await call(t, 'POST', `/${t.tenantId}/oauth2/v2.0/devicecode`, {
      form: { client_id: t.applications.station!.clientId, scope },
    });
    expect(answer.status, answer.text).toBe(200);
    return answer.json as {
      device_code: string;
      user_code: string;
      interval: number;
      expires_in: number;
      message: string;
    };
  }
  function poll(t: LocalTenant, code: string) {
    return call(t, 'POST', `/${t.tenantId}/oauth2/v2.0/token`, {
      form: {
        grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
        client_id: t.applications.station!.clientId,
        device_code: code,
        client_info: '1',
      },
    });
  }

  it('is pending until approved, then yields access, id and refresh tokens once', async () => {
    const code = await deviceCode(quiet);
    expect(code).toMatchObject({ interval: 1, expires_in: 900 });
    expect(code.message).toContain(code.user_code);
    const pending = await poll(quiet, code.device_code);
    expect(pending.status).toBe(400);
    expect(pending.json).toMatchObject({ error: 'authorization_pending', error_codes: [70016] });
    expect(pending.json.error_description).toMatch(
      /^AADSTS70016: .*\r\nTrace ID: .*\r\nCorrelation ID: .*\r\nTimestamp: /s,
    );
    expect(quiet.controls.inspect().pendingDeviceCodes.map((d) => d.userCode)).toContain(
      code.user_code,
    );
    const approved = await call(quiet, 'POST', '/_courier/tenant/device-codes/approve', {
      json: { userCode: code.user_code, persona: 'admin' },
    });
    expect(approved.status, approved.text).toBe(200);
    const tokens = await poll(quiet, code.device_code);
    expect(tokens.status, tokens.text).toBe(200);
    expect(tokens.json).toMatchObject({
      token_type: 'Bearer',
      scope: `${functionsApi}/access_as_user`,
      expires_in: 3600,
    });
    expect(decodeJwt(tokens.json.access_token as string).roles).toEqual(['Courier.Admin']);
    expect(decodeJwt(tokens.json.id_token as string)).toMatchObject({
      aud: quiet.applications.station!.clientId,
      preferred_username: 'priya.raman@fabrikam.example',
    });
    expect(
      JSON.parse(Buffer.from(tokens.json.client_info as string, 'base64url').toString()),
    ).toEqual({
      uid: quiet.directory.personas.get('admin')!.id,
      utid: quiet.tenantId,
    });
    // Redeemed: a second poll is refused.
    expect((await poll(quiet, code.device_code)).json.error).toBe('invalid_grant');
    // The refresh token gets a Graph token for the same user, and is rotated.
    const refreshed = await call(quiet, 'POST', `/${quiet.tenantId}/oauth2/v2.0/token`, {
      form: {
        grant_type: 'refresh_token',
        client_id: quiet.applications.station!.clientId,
        refresh_token: tokens.json.refresh_token as string,
        scope: 'User.Read openid',
      },
    });
    expect(refreshed.status, refreshed.text).toBe(200);
    expect(decodeJwt(refreshed.json.access_token as string)).toMatchObject({
      aud: 'https://graph.microsoft.com',
      scp: 'User.Read openid',
    });
    const reused = await call(quiet, 'POST', `/${quiet.tenantId}/oauth2/v2.0/token`, {
      form: {
        grant_type: 'refresh_token',
        client_id: quiet.applications.station!.clientId,
        refresh_token: tokens.json.refresh_token as string,
      },
    });
    expect(reused.json.error).toBe('invalid_grant');
  });

  it('expires (expired_token) and can be declined (authorization_declined)', async () => {
    const expiring = await deviceCode(quiet);
    quietClock.advance(901 * 1000);
    const expired = await poll(quiet, expiring.device_code);
    expect(expired.json).toMatchObject({ error: 'expired_token', error_codes: [70019] });
    const declined = await deviceCode(quiet);
    expect(
      (
        await call(quiet, 'POST', '/_courier/tenant/device-codes/decline', {
          json: { userCode: declined.user_code },
        })
      ).status,
    ).toBe(204);
    expect((await poll(quiet, declined.device_code)).json.error).toBe('authorization_declined');
  });

  it('signs a person in at /devicelogin, and refuses a disabled persona', async () => {
    const code = await deviceCode(quiet);
    const page = await call(quiet, 'GET', '/devicelogin');
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.text).toContain('value="manager"');
    const signedIn = await call(quiet, 'POST', '/devicelogin', {
      form: { user_code: code.user_code.toLowerCase(), persona: 'manager' },
    });
    expect(signedIn.status).toBe(200);
    expect(signedIn.text).toContain('lars.eriksson@fabrikam.example');
    expect((await poll(quiet, code.device_code)).status).toBe(200);
  });

  it('DeviceCodeCredential keeps polling through authorization_pending until someone approves', async () => {
    const before = quiet.controls.counters().byStatus['400'] ?? 0;
    const credential = new DeviceCodeCredential({
      tenantId: quiet.tenantId,
      clientId: quiet.applications.station!.clientId,
      userPromptCallback: (info) => {
        // Approve a little later, after MSAL's first poll has been told to wait.
        setTimeout(() => {
          void call(quiet, 'POST', '/_courier/tenant/device-codes/approve', {
            json: { userCode: info.userCode, persona: 'employee' },
          });
        }, 150);
      },
      ...identityOptions(quiet),
    });
    const token = await credential.getToken(`${functionsApi}/access_as_user`);
    expect(decodeJwt(token.token)).toMatchObject({
      preferred_username: 'maja.lind@fabrikam.example',
      scp: 'access_as_user',
    });
    expect(decodeJwt(token.token).roles).toBeUndefined();
    expect(quiet.controls.counters().byStatus['400']).toBeGreaterThan(before); // authorization_pending answered
  });
});

describe('authorization code with PKCE', () => {
  const redirectUri = 'http://localhost:53117/callback';
  function challengePair() {
    const verifier = randomBytes(32).toString('base64url');
    return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
  }
  function authorizeUrl(t: LocalTenant, challenge: string, extra: Record<string, string> = {}) {
    const params = new URLSearchParams({
      client_id: t.applications.station!.clientId,
      response_type: 'code',
      redirect_uri: redirectUri,
      scope: `${functionsApi}/access_as_user openid profile offline_access`,
      state: 'xyz',
      nonce: 'n-0S6',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      ...extra,
    });
    return `/${t.tenantId}/oauth2/v2.0/authorize?${params}`;
  }
  function redeem(t: LocalTenant, code: string, verifier: string) {
    return call(t, 'POST', `/${t.tenantId}/oauth2/v2.0/token`, {
      form: {
        grant_type: 'authorization_code',
        client_id: t.applications.station!.clientId,
        code,
        redirect_uri: redirectUri,
        code_verifier: verifier,
      },
    });
  }

  it('redirects with a code for the persona, redeemed once with the right code_verifier', async () => {
    const { verifier, challenge } = challengePair();
    const authorize = await call(tenant, 'GET', authorizeUrl(tenant, challenge));
    expect(authorize.status).toBe(302);
    const location = new URL(authorize.headers.location!);
    expect(`${location.origin}${location.pathname}`).toBe(redirectUri);
    expect(location.searchParams.get('state')).toBe('xyz');
    const code = location.searchParams.get('code')!;
    const wrong = await redeem(tenant, code, challengePair().verifier);
    expect(wrong.status).toBe(400);
    expect(wrong.json).toMatchObject({ error: 'invalid_grant', error_codes: [501481] });
    const tokens = await redeem(tenant, code, verifier);
    expect(tokens.status, tokens.text).toBe(200);
    const { payload } = await validate(
      tenant,
      tokens.json.access_token as string,
      tenant.applications.functions!.clientId,
    );
    expect(payload).toMatchObject({ roles: ['Station.Operator'], scp: 'access_as_user' });
    expect(decodeJwt(tokens.json.id_token as string).nonce).toBe('n-0S6');
    const again = await redeem(tenant, code, verifier);
    expect(again.json).toMatchObject({ error: 'invalid_grant', error_codes: [54005] });
  });

  it('without a configured persona, shows a picker; prompt=none answers login_required', async () => {
    const { verifier, challenge } = challengePair();
    const page = await call(quiet, 'GET', authorizeUrl(quiet, challenge));
    expect(page.status).toBe(200);
    expect(page.text).toContain('name="persona" value="manager"');
    const form = Object.fromEntries(
      new URL(`https://x${authorizeUrl(quiet, challenge)}`).searchParams,
    );
    const chosen = await call(quiet, 'POST', `/${quiet.tenantId}/oauth2/v2.0/authorize`, {
      form: { ...form, persona: 'manager' },
    });
    expect(chosen.status).toBe(302);
    const tokens = await redeem(
      quiet,
      new URL(chosen.headers.location!).searchParams.get('code')!,
      verifier,
    );
    expect(decodeJwt(tokens.json.access_token as string).preferred_username).toBe(
      'lars.eriksson@fabrikam.example',
    );
    const silent = await call(quiet, 'GET', authorizeUrl(quiet, challenge, { prompt: 'none' }));
    expect(new URL(silent.headers.location!).searchParams.get('error')).toBe('login_required');
  });

  it('refuses an unregistered redirect URI on its own page, never redirecting there', async () => {
    const page = await call(
      tenant,
      'GET',
      authorizeUrl(tenant, 'c', { redirect_uri: 'https://evil.example/cb' }),
    );
    expect(page.status).toBe(400);
    expect(page.headers.location).toBeUndefined();
    expect(page.text).toContain('AADSTS50011');
  });
});

describe('OAuth errors, as Entra answers them', () => {
  function token(form: Record<string, string>, headers: Record<string, string> = {}) {
    return call(tenant, 'POST', `/${tenant.tenantId}/oauth2/v2.0/token`, { form, headers });
  }
  const functions = () => tenant.applications.functions!;

  it('invalid_client for a wrong secret (401), with trace and correlation ids', async () => {
    const answer = await token(
      {
        grant_type: 'client_credentials',
        client_id: functions().clientId,
        client_secret: 'wrong-secret-value',
        scope: 'https://graph.microsoft.com/.default',
      },
      { 'client-request-id': '0f0f0f0f-1111-4222-8333-444444444444' },
    );
    expect(answer.status).toBe(401);
    expect(answer.json).toMatchObject({
      error: 'invalid_client',
      error_codes: [7000215],
      correlation_id: '0f0f0f0f-1111-4222-8333-444444444444',
    });
    expect(answer.json.trace_id).toBe(answer.headers['request-id']);
    expect(answer.json.error_description).toMatch(/^AADSTS7000215: Invalid client secret provided/);
  });

  it('unsupported_grant_type, invalid_scope, unauthorized_client, and a public client presenting a secret', async () => {
    const secret = functions().clientSecret!;
    expect(
      (
        await token({
          grant_type: 'password',
          client_id: functions().clientId,
          client_secret: secret,
        })
      ).json,
    ).toMatchObject({
      error: 'unsupported_grant_type',
      error_codes: [70003],
    });
    expect(
      (
        await token({
          grant_type: 'client_credentials',
          client_id: functions().clientId,
          client_secret: secret,
          scope: 'User.Read',
        })
      ).json,
    ).toMatchObject({
      error: 'invalid_scope',
      error_codes: [1002012],
    });
    expect(
      (
        await token({
          grant_type: 'client_credentials',
          client_id: '11111111-2222-4333-8444-555555555555',
          client_secret: secret,
          scope: 'https://graph.microsoft.com/.default',
        })
      ).json,
    ).toMatchObject({
      error: 'unauthorized_client',
      error_codes: [700016],
    });
    expect(
      (
        await token({
          grant_type: 'client_credentials',
          client_id: functions().clientId,
          client_secret: secret,
          scope: 'api://nothing-here/.default',
        })
      ).json,
    ).toMatchObject({
      error: 'invalid_resource',
      error_codes: [500011],
    });
    const station = tenant.applications.station!.clientId;
    const publicWithSecret = await token({
      grant_type: 'client_credentials',
      client_id: station,
      client_secret: secret,
      scope: 'https://graph.microsoft.com/.default',
    });
    expect(publicWithSecret.status).toBe(401);
    expect(publicWithSecret.json.error_codes).toEqual([700025]);
    expect((await token({ client_id: station })).json).toMatchObject({
      error: 'invalid_request',
      error_codes: [900144],
    });
    const teams = await call(tenant, 'POST', `/${tenant.tenantId}/oauth2/v2.0/devicecode`, {
      form: { client_id: tenant.applications['teams-web']!.clientId, scope: 'openid' },
    });
    expect(teams.json).toMatchObject({ error: 'unauthorized_client', error_codes: [70002] });
  });

  it('serves the discovery document and keys on Entra paths, under the tenant id or domain', async () => {
    for (const tenantName of [tenant.tenantId, 'fabrikam.example']) {
      const discovery = await call(
        tenant,
        'GET',
        `/${tenantName}/v2.0/.well-known/openid-configuration`,
      );
      expect(discovery.status).toBe(200);
      expect(discovery.json).toMatchObject({
        issuer: `${tenant.url}/${tenant.tenantId}/v2.0`,
        token_endpoint: `${tenant.url}/${tenant.tenantId}/oauth2/v2.0/token`,
        device_authorization_endpoint: `${tenant.url}/${tenant.tenantId}/oauth2/v2.0/devicecode`,
        authorization_endpoint: `${tenant.url}/${tenant.tenantId}/oauth2/v2.0/authorize`,
        id_token_signing_alg_values_supported: ['RS256'],
      });
    }
    const keys = await call(tenant, 'GET', `/${tenant.tenantId}/discovery/v2.0/keys`);
    expect(keys.json.keys[0]).toMatchObject({ kty: 'RSA', use: 'sig', e: 'AQAB' });
    expect(keys.json.keys[0].x5c).toHaveLength(1);
    const unknown = await call(
      tenant,
      'GET',
      '/00000000-0000-4000-8000-000000000000/v2.0/.well-known/openid-configuration',
    );
    expect(unknown.json.error_codes).toEqual([90002]);
  });
});
