import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { SignJWT, decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthError } from '../../../functions/auth/auth-error.ts';
import { requireRole } from '../../../functions/auth/require-role.ts';
import { requireScope } from '../../../functions/auth/require-scope.ts';
import { TokenValidator } from '../../../functions/auth/token-validator.ts';
import { manualClock } from '../../../local/tenant/clock.ts';
import { startLocalTenant, type LocalTenant } from '../../../local/tenant/start-local-tenant.ts';
import { appToken, call } from '../../local/support/tenant-http.ts';

/**
 * Two local tenants with the same tenant id and the same signing key (one state file, copied),
 * at different URLs: so a token from one is genuinely signed but has the other's issuer.
 * `tenant` signs the operator persona in with no input and has a clock the tests can move;
 * `other` has no persona: a test approves its device codes as the employee.
 */
let folder: string;
let tenant: LocalTenant;
let other: LocalTenant;
const tenantClock = manualClock(Date.now());
let api: { clientId: string; uri: string };
let operatorToken: string;

function validatorFor(t: LocalTenant, options: { now?: () => number; agent?: Agent } = {}) {
  return new TokenValidator({
    authorityHost: t.url,
    tenantId: t.tenantId,
    audiences: [api.clientId, api.uri],
    // Public CAs plus the local CA, through the agent: certificate checks stay on.
    agent: options.agent ?? new Agent({ ca: [...rootCertificates, t.caPem] }),
    ...(options.now ? { now: options.now } : {}),
  });
}

async function deviceCodeToken(t: LocalTenant, approveAs?: string): Promise<string> {
  const station = t.applications.station!.clientId;
  const code = await call(t, 'POST', `/${t.tenantId}/oauth2/v2.0/devicecode`, {
    form: { client_id: station, scope: `${api.uri}/access_as_user` },
  });
  if (approveAs) {
    const approved = await call(t, 'POST', '/_courier/tenant/device-codes/approve', {
      json: { userCode: code.json.user_code, persona: approveAs },
    });
    expect(approved.status, approved.text).toBe(200);
  }
  const tokens = await call(t, 'POST', `/${t.tenantId}/oauth2/v2.0/token`, {
    form: {
      grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
      client_id: station,
      device_code: code.json.device_code,
    },
  });
  expect(tokens.status, tokens.text).toBe(200);
  return tokens.json.access_token as string;
}

/** The first string value under `key` anywhere in a JSON document. */
function findString(value: unknown, key: string): string {
  if (typeof value === 'object' && value !== null) {
    for (const [name, inner] of Object.entries(value)) {
      if (name === key && typeof inner === 'string') return inner;
      try {
        return findString(inner, key);
      } catch {
        // not under this branch
      }
    }
  }
  throw new Error(`No ${key} in the document.`);
}

async function refusal(
  promise: Promise<unknown>,
  code: string,
  token?: string,
): Promise<AuthError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AuthError);
  expect((error as AuthError).code).toBe(code);
  if (token) {
    // Not the token, nor any of its three parts.
    for (const part of [token, ...token.split('.')].filter((p) => p.length > 0)) {
      expect((error as AuthError).message).not.toContain(part);
    }
  }
  return error as AuthError;
}

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'token-validator-'));
  const tlsDirectory = join(folder, 'tls');
  const keysFile = join(folder, 'tenant-state.json');
  const first = await startLocalTenant({ tlsDirectory, stateFile: keysFile });
  await first.close(); // writes the state file with the keys
  await copyFile(keysFile, join(folder, 'other-state.json'));
  [tenant, other] = await Promise.all([
    startLocalTenant({
      tlsDirectory,
      stateFile: keysFile,
      persona: 'operator',
      now: tenantClock.now,
    }),
    startLocalTenant({ tlsDirectory, stateFile: join(folder, 'other-state.json') }),
  ]);
  const functions = tenant.applications.functions!;
  api = { clientId: functions.clientId, uri: `api://${functions.clientId}` };
  operatorToken = await deviceCodeToken(tenant);
});
afterAll(async () => {
  await Promise.all([tenant.close(), other.close()]);
  await rm(folder, { recursive: true, force: true });
});

describe('TokenValidator against the local tenant', () => {
  it('accepts the operator’s device-code token and reads the caller from it', async () => {
    const principal = await validatorFor(tenant).validateAuthorization(`Bearer ${operatorToken}`);
    const operator = tenant.directory.personas.get('operator')!;
    expect(principal).toEqual({
      kind: 'user',
      userId: operator.id,
      tenantId: tenant.tenantId,
      name: operator.displayName,
      userPrincipalName: 'omar.haddad@fabrikam.example',
      roles: ['Station.Operator'],
      scopes: ['access_as_user'],
      appId: tenant.applications.station!.clientId,
    });
    expect(() => requireRole(principal, 'Station.Operator')).not.toThrow();
    expect(() => requireScope(principal, 'access_as_user')).not.toThrow();
    const notAdmin = (() => {
      try {
        requireRole(principal, 'Courier.Admin');
      } catch (error) {
        return error;
      }
    })();
    expect(notAdmin).toMatchObject({ code: 'FORBIDDEN', httpStatus: 403 });
  });

  it('accepts an application token for this API as an app, which has no user scopes', async () => {
    const token = await appToken(tenant, { scope: `${api.uri}/.default` });
    const principal = await validatorFor(tenant).validate(token);
    expect(principal).toMatchObject({
      kind: 'app',
      appId: api.clientId,
      roles: [],
      scopes: [],
      name: undefined,
      userPrincipalName: undefined,
    });
    expect(() => requireScope(principal, 'access_as_user')).toThrow(AuthError);
    expect(() => requireRole(principal, 'Station.Operator')).toThrow(/Station\.Operator/);
  });

  it('refuses a persona without the Station.Operator role at requireRole', async () => {
    const token = await deviceCodeToken(other, 'employee');
    const principal = await validatorFor(other).validate(token);
    expect(principal).toMatchObject({
      userPrincipalName: 'maja.lind@fabrikam.example',
      roles: [],
      scopes: ['access_as_user'],
    });
    let forbidden: unknown;
    try {
      requireRole(principal, 'Station.Operator');
    } catch (error) {
      forbidden = error;
    }
    expect(forbidden).toBeInstanceOf(AuthError);
    expect(forbidden).toMatchObject({ code: 'FORBIDDEN', httpStatus: 403 });
    expect((forbidden as AuthError).message).toContain('maja.lind@fabrikam.example');
  });

  it('refuses a token for another audience (Graph)', async () => {
    const token = await appToken(tenant);
    const error = await refusal(validatorFor(tenant).validate(token), 'WRONG_AUDIENCE', token);
    expect(error.message).toContain('https://graph.microsoft.com');
    expect(error.httpStatus).toBe(401);
  });

  it('refuses an expired token, allowing a small clock skew', async () => {
    tenantClock.set(Date.now() - 2 * 60 * 60 * 1000);
    const stale = await appToken(tenant, { scope: `${api.uri}/.default` });
    tenantClock.set(Date.now());
    await refusal(validatorFor(tenant).validate(stale), 'EXPIRED', stale);

    const fresh = await appToken(tenant, { scope: `${api.uri}/.default` });
    const expiresAt = decodeJwt(fresh).exp! * 1000;
    const at = (ms: number) => validatorFor(tenant, { now: () => ms });
    await expect(at(expiresAt + 30_000).validate(fresh)).resolves.toMatchObject({ kind: 'app' });
    await refusal(at(expiresAt + 90_000).validate(fresh), 'EXPIRED', fresh);
    // And not before it was issued (nbf), beyond the same skew.
    const issuedAt = decodeJwt(fresh).nbf! * 1000;
    await refusal(at(issuedAt - 120_000).validate(fresh), 'INVALID_TOKEN', fresh);
  });

  it('refuses forged tokens: re-signed with another key, unknown key, no signature', async () => {
    const header = decodeProtectedHeader(operatorToken);
    const claims = decodeJwt(operatorToken);
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const resigned = await new SignJWT({ ...claims, roles: ['Station.Operator', 'Courier.Admin'] })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: header.kid! })
      .sign(privateKey);
    const validator = validatorFor(tenant);
    await refusal(validator.validate(resigned), 'INVALID_TOKEN', resigned);
    const unknownKey = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: 'not-a-tenant-key' })
      .sign(privateKey);
    await refusal(validator.validate(unknownKey), 'INVALID_TOKEN', unknownKey);
    const [h, p] = operatorToken.split('.');
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${p}.`;
    await refusal(validator.validate(unsigned), 'INVALID_TOKEN', unsigned);
    // The real header and claims with the signature cut off.
    await refusal(validator.validate(`${h}.${p}.`), 'INVALID_TOKEN');
    await refusal(validator.validate('not-a-jwt'), 'INVALID_TOKEN');
  });

  it('refuses a token signed by the tenant and issued by it, but for another tenant (tid)', async () => {
    // The tenant's own signing key, from its state file: signature, issuer, audience and time
    // all pass, so only the tenant check can refuse it.
    const state = JSON.parse(await readFile(join(folder, 'tenant-state.json'), 'utf8')) as unknown;
    const pem = findString(state, 'signingKeyPem');
    const claims = decodeJwt(operatorToken);
    const forged = await new SignJWT({ ...claims, tid: '9b2f6a3e-1111-4a5b-8c7d-0e1f2a3b4c5d' })
      .setProtectedHeader({
        alg: 'RS256',
        typ: 'JWT',
        kid: decodeProtectedHeader(operatorToken).kid!,
      })
      .sign(createPrivateKey(pem));
    const genuine = await new SignJWT(claims)
      .setProtectedHeader({
        alg: 'RS256',
        typ: 'JWT',
        kid: decodeProtectedHeader(operatorToken).kid!,
      })
      .sign(createPrivateKey(pem));
    const validator = validatorFor(tenant);
    await expect(validator.validate(genuine)).resolves.toMatchObject({ tenantId: tenant.tenantId });
    const error = await refusal(validator.validate(forged), 'WRONG_ISSUER', forged);
    expect(error.message).toContain('9b2f6a3e-1111-4a5b-8c7d-0e1f2a3b4c5d');
  });

  it('refuses a user token without the delegated scope, and one without the app role', async () => {
    const principal = await validatorFor(tenant).validate(operatorToken);
    expect(() => requireScope({ ...principal, scopes: ['User.Read'] }, 'access_as_user')).toThrow(
      AuthError,
    );
    expect(() =>
      requireRole({ ...principal, roles: ['Courier.Admin'] }, 'Station.Operator'),
    ).toThrow(AuthError);
  });

  it('refuses a genuinely signed token from another issuer', async () => {
    const foreign = await deviceCodeToken(other, 'operator');
    // Same signing key (the tenants share it), so only the issuer check can tell.
    expect(decodeProtectedHeader(foreign).kid).toBe(decodeProtectedHeader(operatorToken).kid);
    const error = await refusal(validatorFor(tenant).validate(foreign), 'WRONG_ISSUER', foreign);
    expect(error.message).toContain(other.url);
  });

  it('asks for a bearer token when there is none', async () => {
    const validator = validatorFor(tenant);
    for (const header of [
      undefined,
      null,
      '',
      'Bearer ',
      `Basic ${Buffer.from('a:b').toString('base64')}`,
    ]) {
      const error = await refusal(validator.validateAuthorization(header), 'MISSING_TOKEN');
      expect(error.httpStatus).toBe(401);
    }
    await refusal(validator.validate(''), 'MISSING_TOKEN');
  });

  it('trusts only what the agent trusts: without the local CA the keys cannot be fetched', async () => {
    const untrusting = validatorFor(tenant, { agent: new Agent() });
    const error = await refusal(untrusting.validate(operatorToken), 'UNAVAILABLE', operatorToken);
    expect(error.httpStatus).toBe(503);
    expect(error.message).toContain('openid-configuration');
  });

  it('checks its own settings', () => {
    expect(
      () =>
        new TokenValidator({
          authorityHost: 'http://login.example',
          tenantId: 'contoso',
          audiences: [],
        }),
    ).toThrow(AuthError);
  });
});
