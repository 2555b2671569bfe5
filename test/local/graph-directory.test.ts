import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../local/tenant/clock.ts';
import { startLocalTenant, type LocalTenant } from '../../local/tenant/start-local-tenant.ts';
import { appToken, call } from './support/tenant-http.ts';

let tenant: LocalTenant;
let token: string;
const clock = manualClock(Date.parse('2026-01-12T10:00:00Z'));

beforeAll(async () => {
  tenant = await startLocalTenant({
    tlsDirectory: mkdtempSync(join(tmpdir(), 'tenant-tls-')),
    now: clock.now,
    persona: 'employee',
  });
  token = await appToken(tenant);
});
afterAll(async () => {
  await tenant.close();
});

const user = (upn: string) => tenant.directory.findUser(upn)!;

describe('users', () => {
  it("GET /users/{upn} answers Graph's default property set, the address only when selected", async () => {
    const answer = await call(tenant, 'GET', '/v1.0/users/maja.lind@fabrikam.example', { token });
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toMatch(/^application\/json;odata\.metadata=minimal/);
    expect(answer.json).toEqual({
      '@odata.context': `${tenant.url}/v1.0/$metadata#users/$entity`,
      businessPhones: [],
      displayName: 'Maja Lind',
      givenName: 'Maja',
      jobTitle: 'Operations Analyst',
      mail: 'maja.lind@fabrikam.example',
      mobilePhone: null,
      officeLocation: 'Stockholm HQ, floor 4',
      preferredLanguage: 'sv-SE',
      surname: 'Lind',
      userPrincipalName: 'maja.lind@fabrikam.example',
      id: user('maja.lind@fabrikam.example').id,
    });
    const selected = await call(
      tenant,
      'GET',
      `/v1.0/users/${user('jonas.keller@fabrikam.example').id}?$select=id,displayName,accountEnabled,streetAddress,city,postalCode,country,officeLocation`,
      { token },
    );
    expect(selected.json).toEqual({
      '@odata.context': `${tenant.url}/v1.0/$metadata#users(id,displayName,accountEnabled,streetAddress,city,postalCode,country,officeLocation)/$entity`,
      id: user('jonas.keller@fabrikam.example').id,
      displayName: 'Jonas Keller',
      accountEnabled: true,
      streetAddress: 'Oranienstraße 185',
      city: 'Berlin',
      postalCode: '10999',
      country: 'Germany',
      officeLocation: 'Berlin, Kreuzberg',
    });
  });

  it('answers an unknown user with 404 Request_ResourceNotFound and a bad $select with 400', async () => {
    const missing = await call(tenant, 'GET', '/v1.0/users/nobody@fabrikam.example', { token });
    expect(missing.status).toBe(404);
    expect(missing.json.error).toMatchObject({
      code: 'Request_ResourceNotFound',
      message:
        "Resource 'nobody@fabrikam.example' does not exist or one of its queried reference-property objects are not present.",
    });
    expect(missing.json.error.innerError).toEqual({
      date: '2026-01-12T10:00:00Z',
      'request-id': missing.headers['request-id'],
      'client-request-id': missing.headers['client-request-id'],
    });
    const bad = await call(
      tenant,
      'GET',
      '/v1.0/users/maja.lind@fabrikam.example?$select=displayName,shoeSize',
      { token },
    );
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toBe(
      "Could not find a property named 'shoeSize' on type 'microsoft.graph.user'.",
    );
  });

  it('GET /users/{id}/manager: the manager, a disabled manager as such, 404 at the top', async () => {
    const manager = await call(tenant, 'GET', '/v1.0/users/maja.lind@fabrikam.example/manager', {
      token,
    });
    expect(manager.status).toBe(200);
    expect(manager.json).toMatchObject({
      '@odata.context': `${tenant.url}/v1.0/$metadata#directoryObjects/$entity`,
      '@odata.type': '#microsoft.graph.user',
      userPrincipalName: 'lars.eriksson@fabrikam.example',
    });
    const disabled = await call(
      tenant,
      'GET',
      '/v1.0/users/jonas.keller@fabrikam.example/manager?$select=id,displayName,accountEnabled',
      { token },
    );
    expect(disabled.json).toMatchObject({ displayName: 'Tomas Berg', accountEnabled: false });
    const top = await call(tenant, 'GET', '/v1.0/users/nadia.okafor@fabrikam.example/manager', {
      token,
    });
    expect(top.status).toBe(404);
    expect(top.json.error).toMatchObject({
      code: 'Request_ResourceNotFound',
      message:
        "Resource 'manager' does not exist or one of its queried reference-property objects are not present.",
    });
  });
});

describe('groups', () => {
  it('pages members with $top and @odata.nextLink until the last page', async () => {
    const allStaff = tenant.directory.groups.find((g) => g.displayName === 'All Staff')!;
    let next: string | undefined =
      `/v1.0/groups/${allStaff.id}/members?$top=6&$select=id,userPrincipalName`;
    const seen: string[] = [];
    let pages = 0;
    while (next) {
      const page = await call(tenant, 'GET', next, { token });
      expect(page.status, page.text).toBe(200);
      expect(page.json['@odata.context']).toBe(`${tenant.url}/v1.0/$metadata#directoryObjects`);
      for (const member of page.json.value) {
        expect(member['@odata.type']).toBe('#microsoft.graph.user');
        expect(Object.keys(member).sort()).toEqual(['@odata.type', 'id', 'userPrincipalName']);
        seen.push(member.userPrincipalName as string);
      }
      next = page.json['@odata.nextLink'] as string | undefined;
      pages += 1;
    }
    expect(pages).toBe(4);
    expect(seen).toHaveLength(20);
    expect(new Set(seen).size).toBe(20);
    const fallback = tenant.directory.groups.find(
      (g) => g.displayName === 'Passkey Courier Fallback Approvers',
    )!;
    const approvers = await call(tenant, 'GET', `/v1.0/groups/${fallback.id}/members`, { token });
    expect(approvers.json['@odata.nextLink']).toBeUndefined();
    expect(approvers.json.value.map((u: { displayName: string }) => u.displayName)).toEqual([
      'Sofia Marin',
      'Hana Suzuki',
    ]);
    const tooMany = await call(tenant, 'GET', `/v1.0/groups/${fallback.id}/members?$top=1000`, {
      token,
    });
    expect(tooMany.status).toBe(400);
  });
});

describe('authorisation', () => {
  it('401 InvalidAuthenticationToken without a token, with garbage, with a token for another audience', async () => {
    const none = await call(tenant, 'GET', '/v1.0/users/maja.lind@fabrikam.example');
    expect(none.status).toBe(401);
    expect(none.json.error).toMatchObject({
      code: 'InvalidAuthenticationToken',
      message: 'Access token is empty.',
    });
    expect(none.headers['www-authenticate']).toMatch(/^Bearer realm=""/);
    const garbage = await call(tenant, 'GET', '/v1.0/users/maja.lind@fabrikam.example', {
      token: 'not-a-jwt',
    });
    expect(garbage.json.error.message).toMatch(/^IDX14100/);
    const forged = token.slice(0, -4) + (token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    expect(
      (await call(tenant, 'GET', '/v1.0/users/maja.lind@fabrikam.example', { token: forged })).json
        .error.message,
    ).toBe('Access token validation failure.');
    // A delegated token for the functions API is not a Graph token.
    const device = await call(tenant, 'POST', `/${tenant.tenantId}/oauth2/v2.0/devicecode`, {
      form: {
        client_id: tenant.applications.station!.clientId,
        scope: `api://${tenant.applications.functions!.clientId}/access_as_user`,
      },
    });
    const apiToken = await call(tenant, 'POST', `/${tenant.tenantId}/oauth2/v2.0/token`, {
      form: {
        grant_type: 'device_code',
        client_id: tenant.applications.station!.clientId,
        device_code: device.json.device_code as string,
      },
    });
    const wrongAudience = await call(tenant, 'GET', '/v1.0/users/maja.lind@fabrikam.example', {
      token: apiToken.json.access_token as string,
    });
    expect(wrongAudience.status).toBe(401);
    expect(wrongAudience.json.error.message).toBe('Invalid audience.');
  });

  it('403 Authorization_RequestDenied without the permission the operation needs', async () => {
    // The employee's delegated Graph token has scp User.Read only.
    const device = await call(tenant, 'POST', `/${tenant.tenantId}/oauth2/v2.0/devicecode`, {
      form: { client_id: tenant.applications.station!.clientId, scope: 'User.Read' },
    });
    const delegated = await call(tenant, 'POST', `/${tenant.tenantId}/oauth2/v2.0/token`, {
      form: {
        grant_type: 'device_code',
        client_id: tenant.applications.station!.clientId,
        device_code: device.json.device_code as string,
      },
    });
    const graphToken = delegated.json.access_token as string;
    for (const path of [
      '/v1.0/users/lars.eriksson@fabrikam.example',
      '/v1.0/users/lars.eriksson@fabrikam.example/authentication/fido2Methods',
      '/v1.0/users/lars.eriksson@fabrikam.example/authentication/fido2Methods/creationOptions',
      '/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/fido2',
    ]) {
      const answer = await call(tenant, 'GET', path, { token: graphToken });
      expect(answer.status, path).toBe(403);
      expect(answer.json.error).toMatchObject({
        code: 'Authorization_RequestDenied',
        message: 'Insufficient privileges to complete the operation.',
      });
    }
    // /me is for delegated callers only.
    expect((await call(tenant, 'GET', '/v1.0/me', { token })).json.error.message).toBe(
      '/me request is only valid with delegated authentication flow.',
    );
  });

  it("answers Graph's 400 for an unknown segment and 405 for a wrong method", async () => {
    const unknown = await call(
      tenant,
      'GET',
      '/v1.0/users/maja.lind@fabrikam.example/authentication/windowsHelloMethods',
      { token },
    );
    expect(unknown.status).toBe(400);
    expect(unknown.json.error.message).toBe(
      "Resource not found for the segment 'windowsHelloMethods'.",
    );
    const wrongMethod = await call(tenant, 'PUT', '/v1.0/users/maja.lind@fabrikam.example', {
      token,
      json: {},
    });
    expect(wrongMethod.status).toBe(405);
  });

  it("echoes the client's client-request-id and always sends a request-id", async () => {
    const answer = await call(tenant, 'GET', '/beta/users/maja.lind@fabrikam.example', {
      token,
      headers: { 'client-request-id': '7d5bd3a6-1c5e-4b5f-8c1f-0d7e7f9b1a11' },
    });
    expect(answer.headers['client-request-id']).toBe('7d5bd3a6-1c5e-4b5f-8c1f-0d7e7f9b1a11');
    expect(answer.headers['request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(answer.json['@odata.context']).toBe(`${tenant.url}/beta/$metadata#users/$entity`);
  });
});
