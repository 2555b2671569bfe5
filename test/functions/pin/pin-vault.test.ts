import { createPublicKey } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TableClient } from '@azure/data-tables';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openPin, sealPin, type PinEnvelope } from '../../../core/pin-envelope/pin-envelope.ts';
import { LocalPinKey } from '../../../functions/pin/local-pin-key.ts';
import { PinVault } from '../../../functions/pin/pin-vault.ts';
import { PinVaultError } from '../../../functions/pin/pin-vault-error.ts';
import { startAzurite, type AzuriteTables } from '../../support/azurite.ts';

const PIN = '83920571';

let azurite: AzuriteTables;
let folder: string;
let key: LocalPinKey;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'pin-vault-'));
  [azurite, key] = await Promise.all([
    startAzurite(),
    LocalPinKey.open({ path: join(folder, 'pin-key.pem') }),
  ]);
});
afterAll(async () => {
  await azurite.stop();
  await rm(folder, { recursive: true, force: true });
});

let tables = 0;
let table: TableClient;
let vault: PinVault;
beforeEach(async () => {
  tables += 1;
  table = await azurite.table(`pins${tables}`);
  vault = new PinVault(table);
});

async function seal(pin = PIN, jobId = 'job-1'): Promise<PinEnvelope> {
  const jwk = await key.publicKeyJwk();
  const publicKey = createPublicKey({ key: { kty: 'RSA', n: jwk.n, e: jwk.e }, format: 'jwk' });
  return sealPin({ pin, jobId }, { kid: jwk.kid, publicKey });
}

/** What the tab API will do: open with the service key, bound to the job. */
const open = (envelope: PinEnvelope) =>
  openPin(envelope, 'job-1', (kid, ciphertext) => key.decrypt(kid, ciphertext));

async function expectCode(promise: Promise<unknown>, code: string): Promise<PinVaultError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PinVaultError);
  expect((error as PinVaultError).code).toBe(code);
  return error as PinVaultError;
}

async function storedText(): Promise<string> {
  const entities: unknown[] = [];
  for await (const entity of table.listEntities()) entities.push(entity);
  return JSON.stringify(entities);
}

describe('PinVault', () => {
  it('keeps only the envelope, and releases the PIN exactly once', async () => {
    const envelope = await seal();
    expect(await vault.state('req-1')).toBe('absent');
    await vault.put('req-1', envelope);
    await vault.put('req-1', envelope); // an activity retried
    expect(await vault.exists('req-1')).toBe(true);
    expect(await storedText()).not.toContain(PIN);
    expect(await storedText()).toContain(envelope.ciphertext);

    const content = await vault.takeForRelease('req-1', open);
    expect(content.pin).toBe(PIN);
    expect(await vault.state('req-1')).toBe('released');
    expect(await vault.exists('req-1')).toBe(false);
    // The ciphertext is gone from storage, not merely marked.
    const after = await storedText();
    expect(after).not.toContain(envelope.ciphertext);
    expect(after).not.toContain(envelope.kid);
    expect(after).not.toContain(PIN);
    await expectCode(vault.takeForRelease('req-1', open), 'ALREADY_RELEASED');
    // A late retry of the station's submission cannot bring it back.
    await expectCode(vault.put('req-1', envelope), 'ALREADY_RELEASED');
  });

  it('gives the PIN to exactly one of many concurrent releases', async () => {
    for (let round = 0; round < 5; round += 1) {
      const requestId = `req-race-${round}`;
      await vault.put(requestId, await seal());
      const outcomes = await Promise.allSettled(
        Array.from({ length: 4 }, () => new PinVault(table).takeForRelease(requestId, open)),
      );
      const pins = outcomes.filter((o) => o.status === 'fulfilled');
      expect(pins).toHaveLength(1);
      for (const o of outcomes.filter((o) => o.status === 'rejected')) {
        expect((o.reason as PinVaultError).code).toBe('ALREADY_RELEASED');
      }
    }
  });

  it('refuses a different envelope for the same request until the first is destroyed', async () => {
    const first = await seal();
    const second = await seal('55501234');
    await vault.put('req-1', first);
    await expectCode(vault.put('req-1', second), 'CONFLICT');
    await vault.destroy('req-1');
    await vault.destroy('req-1');
    expect(await vault.state('req-1')).toBe('destroyed');
    expect(await storedText()).not.toContain(first.ciphertext);
    await expectCode(vault.takeForRelease('req-1', open), 'DESTROYED');
    // The key is programmed again: a new envelope may be stored and released.
    await vault.put('req-1', second);
    expect((await vault.takeForRelease('req-1', open)).pin).toBe('55501234');
    await vault.destroy('req-1'); // released stays released
    expect(await vault.state('req-1')).toBe('released');
  });

  it('destroys nothing when the envelope cannot be opened', async () => {
    await vault.put('req-1', await seal(PIN, 'another-job'));
    await expect(vault.takeForRelease('req-1', open)).rejects.toMatchObject({
      code: 'ENVELOPE_WRONG_JOB',
    });
    expect(await vault.state('req-1')).toBe('sealed');
    await expectCode(vault.takeForRelease('req-unknown', open), 'NOT_FOUND');
  });

  it('does not release a PIN destroyed while it was being decrypted', async () => {
    await vault.put('req-1', await seal());
    const slowOpen = async (envelope: PinEnvelope) => {
      const content = await open(envelope);
      await vault.destroy('req-1'); // the request is revoked meanwhile
      return content;
    };
    await expectCode(vault.takeForRelease('req-1', slowOpen), 'DESTROYED');
  });

  it('validates its input', async () => {
    await expectCode(vault.put('a/b', await seal()), 'INVALID_INPUT');
    await expectCode(
      vault.put('req-1', { ...(await seal()), ciphertext: 'not base64url!' }),
      'INVALID_INPUT',
    );
  });
});
