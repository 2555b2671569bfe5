import { createServer, type Server } from 'node:http';
import { Agent } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boundedGet, type BoundedGetOptions } from '../../../core/graph/bounded-get.ts';
import { GraphError } from '../../../core/graph/graph-error.ts';
import { rejection } from '../../support/caught.ts';

let server: Server;
let origin: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/ok') res.end('signed bytes');
    else if (req.url === '/big') {
      res.writeHead(200);
      res.end(Buffer.alloc(4096, 1));
    } else if (req.url === '/stalls') {
      res.writeHead(200);
      res.write('a first chunk, then nothing');
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const options: BoundedGetOptions = {
  agent: new Agent(),
  allowHttp: true,
  maxBytes: 1024,
  timeoutMs: 5_000,
  what: 'The CRL',
};

describe('a bounded GET', () => {
  it('reads a 200 over plain http when allowed, and refuses http where it is not', async () => {
    expect((await boundedGet(`${origin}/ok`, options)).toString()).toBe('signed bytes');
    const refused = await rejection(
      GraphError,
      boundedGet(`${origin}/ok`, { ...options, allowHttp: false, what: 'The BLOB' }),
    );
    expect(refused.message).toBe(`The BLOB at ${origin}/ok: only https is allowed here.`);
    const ftp = await rejection(GraphError, boundedGet('ftp://example.org/x.crl', options));
    expect(ftp.message).toMatch(/only https is allowed/);
  });

  it('refuses an answer that is not 200, one past the size limit, and one not complete in time', async () => {
    const missing = await rejection(GraphError, boundedGet(`${origin}/missing`, options));
    expect(missing).toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 404 });
    expect(missing.message).toBe(`The CRL at ${origin}/missing answered 404.`);
    const big = await rejection(GraphError, boundedGet(`${origin}/big`, options));
    expect(big.code).toBe('NETWORK');
    expect(big.message).toMatch(/could not be read: it is larger than 1024 bytes/);
    const stalled = await rejection(
      GraphError,
      boundedGet(`${origin}/stalls`, { ...options, timeoutMs: 200 }),
    );
    expect(stalled.message).toMatch(/could not be read: no complete answer within 200 ms/);
  });

  it('says when nothing answers', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/root.crl`;
    await new Promise((resolve) => closed.close(resolve));
    const error = await rejection(GraphError, boundedGet(url, options));
    expect(error.code).toBe('NETWORK');
    expect(error.message).toMatch(/could not be read: connect ECONNREFUSED/);
  });
});
