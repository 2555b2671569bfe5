import type { TableClient } from '@azure/data-tables';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../../functions/store/audit-record.ts';
import { AuditTrail } from '../../../functions/store/audit-trail.ts';
import { AuditTrailError } from '../../../functions/store/audit-trail-error.ts';
import { startAzurite, type AzuriteTables } from '../../support/azurite.ts';

const AAGUID = 'FA2B99DC-9E39-4257-8F92-4A30D23C4118';
const CREDENTIAL = 'q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA';
const PIN = '83920571';
const TOKEN =
  'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJhcGk6Ly9jb3VyaWVyIiwib2lkIjoiMSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU';

let azurite: AzuriteTables;
beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  await azurite.stop();
});

let tables = 0;
let table: TableClient;
let now: number;
let trail: AuditTrail;
beforeEach(async () => {
  tables += 1;
  table = await azurite.table(`audit${tables}`);
  now = Date.parse('2026-05-04T08:00:00.000Z');
  trail = new AuditTrail(table, { now: () => (now += 7) });
});

/** The transitions of one request, as the workflow would write them. */
function lifecycle(requestId: string, day = '2026-05-04'): AuditEntry[] {
  const employee = { id: '0b9a3c6e-52b4-4c5e-9a43-1a2b3c4d5e6f', displayName: 'Maja Lind' };
  const manager = { id: '7d1e3f2a-9b8c-4d5e-a6f7-0123456789ab', displayName: 'Lars Eriksson' };
  const operator = { id: '5c4b3a29-1807-4f6e-8d9c-ba9876543210', displayName: 'Omar Haddad' };
  const base = { requestId };
  return [
    {
      ...base,
      recordId: `${requestId}:1`,
      at: `${day}T08:00:00.000Z`,
      actor: { kind: 'requester', ...employee },
      to: 'AwaitingApproval',
      from: 'Requested',
    },
    {
      ...base,
      recordId: `${requestId}:2`,
      at: `${day}T09:00:00.000Z`,
      actor: { kind: 'approver', ...manager },
      approver: manager,
      from: 'AwaitingApproval',
      to: 'AwaitingStation',
    },
    // Two transitions in one orchestration episode share its currentUtcDateTime.
    {
      ...base,
      recordId: `${requestId}:3`,
      at: `${day}T10:00:00.000Z`,
      actor: { kind: 'station', id: 'mailroom-1' },
      stationId: 'mailroom-1',
      operator,
      from: 'AwaitingStation',
      to: 'Programming',
      event: 'claimed',
    },
    {
      ...base,
      recordId: `${requestId}:4`,
      at: `${day}T10:00:00.000Z`,
      actor: { kind: 'system', id: 'workflow' },
      stationId: 'mailroom-1',
      operator,
      from: 'Programming',
      to: 'Registered',
      keySerial: 31_415_926,
      aaguid: AAGUID,
      credentialId: CREDENTIAL,
      graphMethodId: 'bWV0aG9kLTE',
      graphRequestId: 'a4f3c2b1-0000-4000-8000-000000000001',
    },
    {
      ...base,
      recordId: `${requestId}:5`,
      at: `${day}T11:00:00.000Z`,
      actor: { kind: 'operator', ...operator },
      stationId: 'mailroom-1',
      from: 'Registered',
      to: 'Shipped',
      keySerial: 31_415_926,
      carrier: 'PostNord',
      trackingNumber: 'AB123456789SE',
    },
  ];
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<AuditTrailError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AuditTrailError);
  expect((error as AuditTrailError).code).toBe(code);
  return error as AuditTrailError;
}

async function allEntities(): Promise<Record<string, unknown>[]> {
  const entities: Record<string, unknown>[] = [];
  for await (const entity of table.listEntities<Record<string, unknown>>()) entities.push(entity);
  return entities;
}

describe('AuditTrail', () => {
  it('reads a request’s records back in the order they happened, with every detail', async () => {
    const entries = lifecycle('req-1');
    // Appended out of order (activities can finish late); read back by time, then by writing order.
    for (const entry of [entries[0]!, entries[1]!, entries[2]!, entries[4]!])
      await trail.append(entry);
    await trail.append(entries[3]!);
    now += 1000;
    const records = await trail.listByRequest('req-1');
    expect(records.map((r) => r.recordId)).toEqual([
      'req-1:1',
      'req-1:2',
      'req-1:3',
      'req-1:4',
      'req-1:5',
    ]);
    expect(records[3]).toMatchObject({
      actor: { kind: 'system', id: 'workflow' },
      operator: { id: '5c4b3a29-1807-4f6e-8d9c-ba9876543210', displayName: 'Omar Haddad' },
      keySerial: 31_415_926,
      aaguid: AAGUID.toLowerCase(),
      credentialId: CREDENTIAL,
      graphMethodId: 'bWV0aG9kLTE',
      graphRequestId: 'a4f3c2b1-0000-4000-8000-000000000001',
    });
    expect(records[1]!.approver).toEqual({
      id: '7d1e3f2a-9b8c-4d5e-a6f7-0123456789ab',
      displayName: 'Lars Eriksson',
    });
    expect(records[4]).toMatchObject({ carrier: 'PostNord', trackingNumber: 'AB123456789SE' });
    expect(await trail.listByRequest('req-unknown')).toEqual([]);
  });

  it('treats a repeated append of the same record id as the same record, and refuses a different one', async () => {
    const [first] = lifecycle('req-1');
    const stored = await trail.append(first!);
    const before = await allEntities();
    // An activity retried a minute later: same record id, its clock moved on.
    const again = await trail.append({ ...first!, at: '2026-05-04T08:01:00.000Z' });
    expect(again).toEqual(stored);
    expect(await allEntities()).toHaveLength(before.length);
    await expectCode(trail.append({ ...first!, to: 'Closed' }), 'CONFLICT');
    expect(await trail.listByRequest('req-1')).toEqual([stored]);
  });

  it('finds requests by key serial and by credential id, in either base64 spelling', async () => {
    for (const entry of lifecycle('req-1', '2026-05-04')) await trail.append(entry);
    // The same key, reset and sent again for a second request later.
    for (const entry of lifecycle('req-2', '2026-06-01')) await trail.append(entry);
    expect(await trail.findBySerial(31_415_926)).toEqual([
      { requestId: 'req-1', recordId: 'req-1:4', at: '2026-05-04T10:00:00.000Z' },
      { requestId: 'req-2', recordId: 'req-2:4', at: '2026-06-01T10:00:00.000Z' },
    ]);
    expect(await trail.findBySerial(1)).toEqual([]);
    const standardBase64 = `${CREDENTIAL.replace(/-/g, '+').replace(/_/g, '/')}=`;
    expect((await trail.findByCredentialId(standardBase64)).map((h) => h.requestId)).toEqual([
      'req-1',
      'req-2',
    ]);
    await expectCode(trail.findByCredentialId('not a credential!'), 'INVALID_INPUT');
  });

  it('lists everything newest first in pages, with continuation tokens and a time window', async () => {
    for (const day of ['2026-05-04', '2026-05-05', '2026-05-06']) {
      for (const entry of lifecycle(`req-${day}`, day)) await trail.append(entry);
    }
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await trail.list({
        pageSize: 4,
        ...(token ? { continuationToken: token } : {}),
      });
      seen.push(...page.records.map((r) => r.recordId));
      token = page.continuationToken;
      pages += 1;
    } while (token);
    expect(pages).toBe(4);
    expect(seen).toHaveLength(15);
    expect(new Set(seen).size).toBe(15);
    expect(seen.slice(0, 3)).toEqual(['req-2026-05-06:5', 'req-2026-05-06:4', 'req-2026-05-06:3']);
    expect(seen.at(-1)).toBe('req-2026-05-04:1');

    const window = await trail.list({
      since: '2026-05-05T09:00:00.000Z',
      until: '2026-05-05T11:00:00.000Z',
    });
    expect(window.records.map((r) => r.recordId)).toEqual([
      'req-2026-05-05:4',
      'req-2026-05-05:3',
      'req-2026-05-05:2',
    ]);
    expect(window.continuationToken).toBeUndefined();
    await expectCode(trail.list({ continuationToken: 'garbage' }), 'INVALID_INPUT');
  });

  it('offers no way to rewrite or remove a record', () => {
    const methods = Object.getOwnPropertyNames(AuditTrail.prototype).filter(
      (name) => name !== 'constructor',
    );
    for (const verb of ['update', 'upsert', 'delete', 'remove', 'replace', 'set'])
      expect(methods.filter((m) => m.toLowerCase().startsWith(verb))).toEqual([]);
  });

  it('never stores a PIN or a token', async () => {
    const [entry] = lifecycle('req-1');
    // The types leave no room for secrets: these do not compile...
    const withPin: AuditEntry = {
      ...entry!,
      // @ts-expect-error a PIN has no place in an audit record
      pin: PIN,
    };
    const withEnvelope: AuditEntry = {
      ...entry!,
      // @ts-expect-error nor has the PIN envelope
      pinEnvelope: { v: 1, kid: 'k', alg: 'RSA-OAEP-256', ciphertext: 'AAAA' },
    };
    // ...and at run time (a cast, or JSON from elsewhere) unknown members are refused.
    await expectCode(trail.append(withPin), 'INVALID_INPUT');
    await expectCode(trail.append(withEnvelope), 'INVALID_INPUT');
    await expectCode(
      trail.append({ ...entry!, accessToken: TOKEN } as unknown as AuditEntry),
      'INVALID_INPUT',
    );
    // Free text that quotes a token is stored with the token redacted.
    const stored = await trail.append({
      ...entry!,
      reason: 'GRAPH_UNAUTHENTICATED',
      detail: `Graph said 401 for "Authorization: Bearer ${TOKEN}"; retried with access_token=${TOKEN} and client_secret=local-tenant-only~secret`,
    });
    expect(stored.detail).toContain('[redacted]');

    const everything = JSON.stringify(await allEntities());
    expect(everything).not.toContain(PIN);
    expect(everything).not.toContain(TOKEN);
    expect(everything).not.toContain(TOKEN.split('.')[1]!);
    expect(everything).not.toContain('local-tenant-only~secret');
    expect(everything).not.toMatch(/eyJ[A-Za-z0-9_-]{8,}\./);
  });

  it('validates records: states, ids, serials and text lengths', async () => {
    const [entry] = lifecycle('req-1');
    await expectCode(trail.append({ ...entry!, to: 'Teleported' as never }), 'INVALID_INPUT');
    await expectCode(trail.append({ ...entry!, recordId: 'a/b' }), 'INVALID_INPUT');
    await expectCode(trail.append({ ...entry!, keySerial: -1 }), 'INVALID_INPUT');
    await expectCode(trail.append({ ...entry!, detail: 'x'.repeat(5000) }), 'INVALID_INPUT');
    await expectCode(trail.append({ ...entry!, at: 'tuesday' }), 'INVALID_INPUT');
    expect(await allEntities()).toEqual([]);
  });
});
