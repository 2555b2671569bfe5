import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpRouteTable } from '../../../local/host/http/http-route-table.ts';
import { RouteTemplate } from '../../../local/host/http/route-template.ts';
import { LocalHostError } from '../../../local/host/local-host-error.ts';
import type { RegisteredFunction } from '../../../local/host/registered-function.ts';
import { removeTemporaryFolders, startSampleHost, type SampleHost } from './support/sample-host.ts';

describe('route templates', () => {
  const match = (template: string, path: string) =>
    new RouteTemplate(template).match(path.split('/').filter(Boolean));

  it('binds parameters, optional and default values, and catch-alls', () => {
    expect(match('orders/{id}', 'Orders/42')).toEqual({ id: '42' });
    expect(match('orders/{id}/{part?}', 'orders/42')).toEqual({ id: '42' });
    expect(match('orders/{id}/{part?}', 'orders/42/lines')).toEqual({ id: '42', part: 'lines' });
    expect(match('orders/{id}/{part=summary}', 'orders/42')).toEqual({ id: '42', part: 'summary' });
    expect(match('files/{*path}', 'files/a/b%20c.txt')).toEqual({ path: 'a/b c.txt' });
    expect(match('files/{*path}', 'files')).toEqual({});
    expect(match('files/{name}.{ext}', 'files/report.final.pdf')).toEqual({
      name: 'report.final',
      ext: 'pdf',
    });
    expect(match('orders/{id}', 'orders')).toBeUndefined();
    expect(match('orders/{id}', 'orders/1/2')).toBeUndefined();
  });

  it('applies inline constraints', () => {
    expect(match('n/{id:int}', 'n/-12')).toEqual({ id: '-12' });
    expect(match('n/{id:int}', 'n/twelve')).toBeUndefined();
    expect(match('n/{id:int:min(10)}', 'n/9')).toBeUndefined();
    expect(match('n/{id:range(1,3)}', 'n/3')).toEqual({ id: '3' });
    expect(match('n/{flag:bool}', 'n/TRUE')).toEqual({ flag: 'TRUE' });
    expect(match('n/{name:alpha:maxlength(3)}', 'n/abcd')).toBeUndefined();
    expect(match('n/{id:guid}', 'n/6F9619FF-8B86-D011-B42D-00C04FC964FF')).toBeDefined();
    expect(match('n/{code:regex(^\\d{{3}}$)}', 'n/123')).toEqual({ code: '123' });
    expect(match('n/{code:regex(^\\d{{3}}$)}', 'n/1234')).toBeUndefined();
  });

  it('rejects templates the Functions host would not index', () => {
    for (const bad of ['a/{id:nope}', 'a/{*rest}/b', 'a//b', 'a/{x}{y}', 'a/{id}/{id}', 'a/{b']) {
      expect(() => new RouteTemplate(bad), bad).toThrow(LocalHostError);
    }
  });

  it('orders routes by specificity and honours the route prefix', () => {
    const fn = (name: string, route: string, methods: string[] = []): RegisteredFunction =>
      ({
        name,
        kind: 'http',
        http: { route, methods, authLevel: 'anonymous' },
      }) as unknown as RegisteredFunction;
    const table = new HttpRouteTable(
      [fn('any', 'items/{*rest}'), fn('param', 'items/{id}'), fn('literal', 'items/new', ['GET'])],
      'v2/api',
    );
    expect(table.routes.map((r) => r.fn.name)).toEqual(['literal', 'param', 'any']);
    expect(table.match('GET', '/v2/api/items/new')?.route.fn.name).toBe('literal');
    expect(table.match('POST', '/v2/api/items/new')?.route.fn.name).toBe('param');
    expect(table.match('GET', '/v2/api/items/7/x')?.route.fn.name).toBe('any');
    expect(table.match('GET', '/api/items/7')).toBeUndefined();
    expect(new HttpRouteTable([fn('root', 'hello')], '').match('GET', '/hello')).toBeDefined();
  });

  it('refuses routes in the Functions host reserved space, as Azure does', () => {
    const fn = (name: string, route: string | undefined): RegisteredFunction =>
      ({
        name,
        kind: 'http',
        http: { route, methods: [], authLevel: 'anonymous' },
      }) as unknown as RegisteredFunction;
    // A plain string prefix, whatever the route prefix and case; an empty route is the name.
    for (const [name, route] of [
      ['audit', 'admin/audit'],
      ['audit', '/Admin/audit'],
      ['health', 'administration/health'],
      ['hooks', 'runtime/webhooks/x'],
      ['admin-things', undefined],
    ] as const) {
      expect(() => new HttpRouteTable([fn(name, route)], 'api'), String(route)).toThrow(
        'The specified route conflicts with one or more built in routes.',
      );
    }
    expect(() => new HttpRouteTable([fn('audit', 'manage/audit')], 'api')).not.toThrow();
    expect(() => new HttpRouteTable([fn('audit', 'my/admin/audit')], 'api')).not.toThrow();
  });
});

describe('HTTP triggers over HTTPS', () => {
  let sample: SampleHost;
  beforeAll(async () => {
    sample = await startSampleHost();
  });
  afterAll(async () => {
    await sample.close();
    removeTemporaryFolders();
  });

  it('passes route parameters, query, headers and body to the handler as HttpRequest', async () => {
    const response = await sample.call('POST', '/api/echo/5/a/b%20c?tag=1&tag=2&x=y', {
      body: 'hello body',
      headers: { 'x-test': 'from test', 'content-type': 'text/plain' },
    });
    expect(response.status).toBe(201);
    expect(response.headers['x-echo']).toBe('yes');
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.json()).toEqual({
      method: 'POST',
      url: `${sample.host.url}/api/echo/5/a/b%20c?tag=1&tag=2&x=y`,
      params: { id: '5', rest: 'a/b c' },
      query: { tag: '2', x: 'y' },
      all: ['1', '2'],
      header: 'from test',
      body: 'hello body',
    });
  });

  it('refuses a declared body over 100 MB before reading it, as the Functions host does', async () => {
    // Declares 200 MB and sends a few bytes: a host that read the body first would wait forever.
    const response = await sample.call('POST', '/api/echo/5/a', {
      body: 'only a little',
      headers: { 'content-type': 'text/plain', 'content-length': String(200 * 1024 * 1024) },
    });
    expect(response.status).toBe(413);
  });

  it('writes each cookie as its own Set-Cookie header, as ASP.NET Core does', async () => {
    const response = await sample.call('GET', '/api/echo/1');
    expect(response.headers['set-cookie']).toEqual([
      'session=a%20b%3Bc; max-age=60; path=/; samesite=strict; httponly',
      'theme=dark; path=/api',
    ]);
  });

  it('routes by method and specificity, and answers 404 otherwise', async () => {
    expect((await sample.call('GET', '/api/echo/7/fixed')).text).toBe('literal');
    expect((await sample.call('PUT', '/api/echo/7/fixed')).status).toBe(201);
    expect((await sample.call('DELETE', '/api/echo/7')).status).toBe(404);
    expect((await sample.call('GET', '/api/echo/seven')).status).toBe(404);
    expect((await sample.call('GET', '/api/nowhere')).status).toBe(404);
    expect((await sample.call('GET', '/echo/7/fixed')).status).toBe(404);
  });

  it('serves a function without a route under its name, whatever its auth level', async () => {
    const ping = await sample.call('GET', '/api/ping');
    expect(ping.status).toBe(200);
    expect(ping.text).toBe('pong');
    expect(ping.headers['content-type']).toBe('text/plain;charset=UTF-8');
    const route = sample.host.routes.find((r) => r.functionName === 'Ping');
    expect(route).toMatchObject({ path: '/api/Ping', authLevel: 'admin', methods: ['GET'] });
  });

  it('answers 204 without a body and 500 when the handler throws', async () => {
    const empty = await sample.call('DELETE', '/api/nothing');
    expect(empty.status).toBe(204);
    expect(empty.text).toBe('');
    const failed = await sample.call('GET', '/api/explode');
    expect(failed.status).toBe(500);
    expect(failed.text).toBe('');
    expect(sample.logs.some((l) => l.level === 'error' && l.functionName === 'explode')).toBe(true);
  });

  it('serves TLS from the local CA on the loopback names, and nothing without the CA', async () => {
    const viaIp = await sample.call('GET', `https://127.0.0.1:${sample.host.port}/api/ping`);
    expect(viaIp.status).toBe(200);
    const untrusted = new Promise((resolve, reject) => {
      const outgoing = request(`${sample.host.url}/api/ping`, { agent: false }, resolve);
      outgoing.on('error', reject);
      outgoing.end();
    });
    await expect(untrusted).rejects.toThrow(/self-signed|unable to verify|certificate/i);
  });
});
