import {
  constants,
  createPublicKey,
  generateKeyPairSync,
  privateDecrypt,
  type KeyObject,
} from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openPin, sealPin } from '../../../core/pin-envelope/pin-envelope.ts';
import { KeyVaultPinKey } from '../../../functions/pin/key-vault-pin-key.ts';
import { PinKeyError } from '../../../functions/pin/pin-key-error.ts';
import { ensureLocalTls } from '../../../local/tls/ensure-local-tls.ts';

/**
 * A stand-in for Azure Key Vault's keys REST API (GET /keys/{name}/{version}, POST
 * …/decrypt), written from the public REST reference, so the real KeyClient and
 * CryptographyClient run end to end: challenge authentication, URLs, api-version, JSON shapes,
 * error statuses. It is not Key Vault: see the report for what that leaves untested.
 */
interface StubKey {
  version: string;
  privateKey: KeyObject;
  kty?: string;
  keyOps?: string[];
  enabled?: boolean;
}

interface SeenRequest {
  method: string;
  path: string;
  apiVersion: string | null;
  authorization: string | undefined;
  body: unknown;
}

const TOKEN = 'stub-key-vault-access-token';
const rsa = () => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
/** Generated once: RSA key generation would otherwise dominate the run time. */
let pool: { older: KeyObject; current: KeyObject; spare: KeyObject; short: KeyObject };

let server: Server;
let vaultUrl: string;
let caPem: string;
let folder: string;
let keys: Map<string, StubKey[]>;
let seen: SeenRequest[];
let decryptStatus: number | undefined;

function keyBundle(name: string, key: StubKey) {
  const jwk = createPublicKey(key.privateKey).export({ format: 'jwk' });
  return {
    key: {
      kid: `${vaultUrl}/keys/${name}/${key.version}`,
      kty: key.kty ?? 'RSA',
      key_ops: key.keyOps ?? ['encrypt', 'decrypt', 'wrapKey', 'unwrapKey'],
      n: jwk.n,
      e: jwk.e,
    },
    attributes: {
      enabled: key.enabled ?? true,
      created: 1_777_000_000,
      updated: 1_777_000_000,
      recoveryLevel: 'Recoverable+Purgeable',
    },
  };
}

function answer(res: ServerResponse, status: number, body?: unknown, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(body === undefined ? undefined : JSON.stringify(body));
}

async function handle(req: IncomingMessage, res: ServerResponse) {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  const url = new URL(req.url ?? '/', vaultUrl);
  seen.push({
    method: req.method ?? '',
    path: url.pathname,
    apiVersion: url.searchParams.get('api-version'),
    authorization: req.headers.authorization,
    body: text ? JSON.parse(text) : undefined,
  });
  if (req.headers.authorization !== `Bearer ${TOKEN}`) {
    // Key Vault's challenge: the client learns the tenant and resource, gets a token, retries.
    return answer(
      res,
      401,
      { error: { code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer token.' } },
      {
        'www-authenticate':
          'Bearer authorization="https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47", resource="https://vault.azure.net"',
      },
    );
  }
  const match = /^\/keys\/([^/]+)(?:\/([^/]*))?(?:\/(decrypt))?$/.exec(url.pathname);
  const versions = match ? keys.get(match[1]!) : undefined;
  const key = versions?.find((k) => k.version === (match?.[2] || versions.at(-1)?.version));
  if (!match || !key) {
    return answer(res, 404, {
      error: { code: 'KeyNotFound', message: 'A key with (name/id) was not found.' },
    });
  }
  if (req.method === 'GET' && !match[3]) return answer(res, 200, keyBundle(match[1]!, key));
  if (req.method === 'POST' && match[3] === 'decrypt') {
    if (decryptStatus) {
      return answer(res, decryptStatus, {
        error: {
          code: 'Forbidden',
          message: 'Caller is not authorized to perform action on resource.',
        },
      });
    }
    const { alg, value } = JSON.parse(text) as { alg: string; value: string };
    if (alg !== 'RSA-OAEP-256')
      return answer(res, 400, { error: { code: 'BadParameter', message: 'alg' } });
    try {
      const plaintext = privateDecrypt(
        { key: key.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
        Buffer.from(value, 'base64url'),
      );
      return answer(res, 200, {
        kid: `${vaultUrl}/keys/${match[1]}/${key.version}`,
        value: plaintext.toString('base64url'),
      });
    } catch {
      return answer(res, 400, { error: { code: 'BadParameter', message: 'Invalid ciphertext.' } });
    }
  }
  return answer(res, 405, { error: { code: 'MethodNotAllowed', message: req.method } });
}

class StubCredential implements TokenCredential {
  readonly scopes: string[][] = [];
  getToken(scopes: string | string[], _options?: GetTokenOptions): Promise<AccessToken> {
    this.scopes.push([scopes].flat());
    return Promise.resolve({ token: TOKEN, expiresOnTimestamp: Date.now() + 3_600_000 });
  }
}

beforeAll(async () => {
  pool = {
    older: rsa(),
    current: rsa(),
    spare: rsa(),
    short: generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey,
  };
  folder = await mkdtemp(join(tmpdir(), 'kv-stub-'));
  const tls = await ensureLocalTls({ directory: folder });
  caPem = tls.caPem;
  server = createServer({ cert: tls.certificatePem, key: tls.privateKeyPem }, (req, res) => {
    void handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  vaultUrl = `https://localhost:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
  await rm(folder, { recursive: true, force: true });
});
beforeEach(() => {
  keys = new Map([
    [
      'pin-envelopes',
      [
        { version: '0a1b2c3d4e5f60718293a4b5c6d7e8f9', privateKey: pool.older },
        { version: 'f9e8d7c6b5a4938271605f4e3d2c1b0a', privateKey: pool.current },
      ],
    ],
  ]);
  seen = [];
  decryptStatus = undefined;
});

function open(credential = new StubCredential(), keyName = 'pin-envelopes') {
  return KeyVaultPinKey.open({
    vaultUrl,
    keyName,
    credential,
    clientOptions: {
      // Trust the local CA: certificate checks stay on.
      tlsOptions: { ca: caPem },
      retryOptions: { maxRetries: 0 },
      // The stand-in lives at localhost, which can never end with ".vault.azure.net", the
      // resource its challenge names; in Azure this check stays on.
      disableChallengeResourceVerification: true,
    },
  });
}

function sealTo(jwk: { kid: string; n: string; e: string }, pin = '83920571') {
  const publicKey = createPublicKey({ key: { kty: 'RSA', n: jwk.n, e: jwk.e }, format: 'jwk' });
  return sealPin({ pin, jobId: 'job-1' }, { kid: jwk.kid, publicKey });
}

async function rejection(promise: Promise<unknown>): Promise<PinKeyError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PinKeyError);
  return error as PinKeyError;
}

describe('KeyVaultPinKey against a Key Vault stand-in', () => {
  it('reads the current key version and publishes its public JWK', async () => {
    const credential = new StubCredential();
    const key = await open(credential);
    const current = keys.get('pin-envelopes')!.at(-1)!;
    expect(key.kid).toBe(`${vaultUrl}/keys/pin-envelopes/${current.version}`);
    const jwk = await key.publicKeyJwk();
    const expected = createPublicKey(current.privateKey).export({ format: 'jwk' });
    expect(jwk).toEqual({
      kty: 'RSA',
      n: expected.n,
      e: expected.e,
      kid: key.kid,
      alg: 'RSA-OAEP-256',
      use: 'enc',
    });
    expect(credential.scopes).toEqual([['https://vault.azure.net/.default']]);
    expect(seen.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /keys/pin-envelopes/', // the challenge round, without a token
      'GET /keys/pin-envelopes/',
    ]);
    expect(seen[1]!.apiVersion).toMatch(/^\d{4}-\d{2}-\d{2}/);
  });

  it('opens an envelope through Key Vault’s decrypt with RSA-OAEP-256, never holding the private key', async () => {
    const key = await open();
    const envelope = sealTo(await key.publicKeyJwk());
    seen = [];
    const content = await openPin(envelope, 'job-1', (kid, c) => key.decrypt(kid, c));
    expect(content.pin).toBe('83920571');
    const path = `/keys/pin-envelopes/${keys.get('pin-envelopes')!.at(-1)!.version}/decrypt`;
    // The challenge round (no token, no body), then the decrypt itself; the key is not read again.
    expect(seen.map((r) => `${r.method} ${r.path} ${r.authorization ? 'token' : 'none'}`)).toEqual([
      `POST ${path} none`,
      `POST ${path} token`,
    ]);
    expect(seen[1]).toMatchObject({
      authorization: `Bearer ${TOKEN}`,
      body: { alg: 'RSA-OAEP-256', value: envelope.ciphertext },
    });
  });

  it('opens envelopes sealed to an earlier version of the key, after a rotation', async () => {
    const key = await open();
    const older = keys.get('pin-envelopes')![0]!;
    const olderJwk = createPublicKey(older.privateKey).export({ format: 'jwk' });
    const envelope = sealTo({
      kid: `${vaultUrl}/keys/pin-envelopes/${older.version}`,
      n: olderJwk.n!,
      e: olderJwk.e!,
    });
    seen = [];
    const content = await openPin(envelope, 'job-1', (kid, c) => key.decrypt(kid, c));
    expect(content.pin).toBe('83920571');
    expect(seen.map((r) => `${r.method} ${r.path}`)).toContain(
      `POST /keys/pin-envelopes/${older.version}/decrypt`,
    );
  });

  it('never follows a key id to another vault or another key', async () => {
    const key = await open();
    seen = [];
    for (const kid of [
      'https://attacker.vault.azure.net/keys/pin-envelopes/0a1b2c3d4e5f60718293a4b5c6d7e8f9',
      `${vaultUrl}/keys/other-key/0a1b2c3d4e5f60718293a4b5c6d7e8f9`,
      `${vaultUrl}/keys/pin-envelopes`,
      'local-thumbprint-kid',
    ]) {
      expect((await rejection(key.decrypt(kid, new Uint8Array(256)))).code).toBe('WRONG_KEY');
    }
    expect(seen).toEqual([]);
  });

  it('says what is wrong when Key Vault refuses or cannot decrypt', async () => {
    const key = await open();
    const envelope = sealTo(await key.publicKeyJwk());
    const garbage = await rejection(key.decrypt(key.kid, new Uint8Array(256).fill(1)));
    expect(garbage.code).toBe('DECRYPT_FAILED');
    decryptStatus = 403;
    const refused = await rejection(
      key.decrypt(key.kid, Buffer.from(envelope.ciphertext, 'base64url')),
    );
    expect(refused.code).toBe('KEY_UNAVAILABLE');
    expect(refused.message).toContain('Key Vault Crypto User');
    expect(refused.message).not.toContain(envelope.ciphertext);
  });

  it('refuses keys that cannot serve as the PIN envelope key', async () => {
    keys.set('disabled', [{ version: 'v1', privateKey: pool.spare, enabled: false }]);
    keys.set('no-decrypt', [{ version: 'v1', privateKey: pool.spare, keyOps: ['encrypt'] }]);
    keys.set('short', [{ version: 'v1', privateKey: pool.short }]);
    for (const name of ['disabled', 'no-decrypt', 'short']) {
      expect((await rejection(open(undefined, name))).code).toBe('KEY_UNSUITABLE');
    }
    const missing = await rejection(open(undefined, 'absent'));
    expect(missing.code).toBe('KEY_UNAVAILABLE');
    const badUrl = await rejection(
      KeyVaultPinKey.open({
        vaultUrl: 'http://vault.example',
        keyName: 'k',
        credential: new StubCredential(),
      }),
    );
    expect(badUrl.code).toBe('CONFIGURATION_INVALID');
  });
});
