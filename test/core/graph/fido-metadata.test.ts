import { mkdtempSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FidoMetadata } from '../../../core/graph/fido-metadata.ts';
import { GraphError } from '../../../core/graph/graph-error.ts';
import { manualClock } from '../../../local/tenant/clock.ts';
import { CRL_NAMES, MetadataService } from '../../../local/tenant/mds/metadata-service.ts';
import { loadTenantSeed } from '../../../local/tenant/seed/load-tenant-seed.ts';
import { ensureLocalTls } from '../../../local/tls/ensure-local-tls.ts';
import { rejection } from '../../support/caught.ts';

// The FIDO Alliance's BLOB comes over https and GlobalSign's CRLs over plain http: so here.
const START = Date.parse('2026-06-01T12:00:00Z');
const HOUR = 3_600_000;
const clock = manualClock(START);
let crlServer: HttpServer;
let blobServer: HttpsServer;
let metadata: MetadataService;
let blobUrl: string;
let caPem: string;
let oversize = false;
const hits = new Map<string, number>();

beforeAll(async () => {
  crlServer = createHttpServer((req, res) => {
    hits.set(req.url!, (hits.get(req.url!) ?? 0) + 1);
    const name = CRL_NAMES.find((n) => req.url === `/mds3/crl/${n}.crl`);
    if (!name) {
      res.writeHead(404);
      res.end();
    } else if (oversize) {
      res.writeHead(200);
      res.end(Buffer.alloc(11 * 1024 * 1024));
    } else
      void metadata.crl(name, clock.now()).then((der) => {
        res.writeHead(200, { 'content-type': 'application/pkix-crl' });
        res.end(der);
      });
  });
  await new Promise<void>((resolve) => crlServer.listen(0, '127.0.0.1', resolve));
  const crlOrigin = `http://127.0.0.1:${(crlServer.address() as AddressInfo).port}`;
  metadata = await MetadataService.create(await loadTenantSeed(), new Date(START), crlOrigin);
  const tls = await ensureLocalTls({ directory: mkdtempSync(join(tmpdir(), 'fido-md-tls-')) });
  caPem = tls.caPem;
  blobServer = createHttpsServer(
    { cert: tls.certificatePem, key: tls.privateKeyPem },
    (req, res) => {
      hits.set('blob', (hits.get('blob') ?? 0) + 1);
      res.end(metadata.blobJwt());
    },
  );
  await new Promise<void>((resolve) => blobServer.listen(0, '127.0.0.1', resolve));
  blobUrl = `https://localhost:${(blobServer.address() as AddressInfo).port}/mds3`;
});
afterAll(async () => {
  for (const server of [crlServer, blobServer]) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

function reader(): FidoMetadata {
  return new FidoMetadata({ url: blobUrl, rootsPem: [metadata.rootPem], caPem, now: clock.now });
}

describe('the FIDO metadata reader', () => {
  it('fetches the CRLs over plain http and keeps each until its nextUpdate', async () => {
    expect(Object.values(metadata.crlUrls).every((u) => u.startsWith('http://'))).toBe(true);
    hits.clear();
    clock.set(START);
    const metadataReader = reader();
    await metadataReader.blob();
    expect(Object.fromEntries(hits)).toEqual({
      blob: 1,
      '/mds3/crl/ca.crl': 1,
      '/mds3/crl/root.crl': 1,
    });
    // The BLOB is kept a day at most; its CRLs, issued for a week, are not fetched again.
    clock.advance(25 * HOUR);
    await metadataReader.blob();
    expect(Object.fromEntries(hits)).toEqual({
      blob: 2,
      '/mds3/crl/ca.crl': 1,
      '/mds3/crl/root.crl': 1,
    });
    clock.set(START + 7 * 24 * HOUR + 60_000);
    await metadataReader.blob();
    expect(Object.fromEntries(hits)).toEqual({
      blob: 3,
      '/mds3/crl/ca.crl': 2,
      '/mds3/crl/root.crl': 2,
    });
  });

  it('refuses a CRL past its size limit', async () => {
    clock.set(START);
    oversize = true;
    try {
      const error = await rejection(GraphError, reader().blob());
      expect(error.code).toBe('INVALID_RESPONSE');
      expect(error.message).toMatch(/cannot be retrieved .*larger than 10485760 bytes/);
    } finally {
      oversize = false;
    }
  });
});
