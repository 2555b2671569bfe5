import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  emptyShimState,
  type InstanceRecord,
} from '../../../local/host/durable/instance-record.ts';
import { InstanceStore, instanceFileName } from '../../../local/host/durable/instance-store.ts';
import { LocalHostError } from '../../../local/host/local-host-error.ts';
import { removeTemporaryFolders, temporaryFolder } from './support/sample-host.ts';

afterAll(() => removeTemporaryFolders());

function record(instanceId: string, output: unknown): InstanceRecord {
  return {
    format: 1,
    instanceId,
    executionId: 'e',
    name: 'greet',
    runtimeStatus: 'Completed',
    createdTime: '2026-03-02T09:00:00.000Z',
    lastUpdatedTime: '2026-03-02T09:00:00.000Z',
    output,
    history: [],
    shim: emptyShimState(),
    inbox: [],
    nextMessage: 0,
  };
}

describe('the instance store', () => {
  it('keeps the latest state of each instance across journal rotations and a reopen', async () => {
    const folder = temporaryFolder();
    const store = new InstanceStore(folder, { compactAtBytes: 2_000 });
    await store.open();
    const writes: Promise<void>[] = [];
    for (let round = 0; round < 20; round++) {
      for (const id of ['a', 'b', 'c']) writes.push(store.write(record(id, `${id}${round}`)));
    }
    writes.push(store.remove('c'));
    await Promise.all(writes);
    await store.close();
    expect(existsSync(join(folder, 'journal.ndjson'))).toBe(false);
    expect(readdirSync(join(folder, 'instances')).sort()).toEqual(
      [instanceFileName('a'), instanceFileName('b')].sort(),
    );

    const reopened = new InstanceStore(folder);
    const records = await reopened.open();
    await reopened.close();
    expect(Object.fromEntries(records.map((r) => [r.instanceId, r.output]))).toEqual({
      a: 'a19',
      b: 'b19',
    });
  });

  it('replays the journal a killed host left, dropping a torn last line', async () => {
    const folder = temporaryFolder();
    const journal = join(folder, 'journal.ndjson');
    // What a host killed mid-append leaves: complete lines, then part of one.
    const line = (sequence: number, output: number) =>
      `${JSON.stringify({ sequence, instanceId: 'x', record: record('x', output) })}\n`;
    mkdirSync(folder, { recursive: true });
    writeFileSync(journal, `${line(1, 1)}${line(2, 2)}{"sequence":3,"instanceId":"x","rec`);

    const restarted = new InstanceStore(folder);
    const records = await restarted.open();
    expect(records.map((r) => [r.instanceId, r.output])).toEqual([['x', 2]]);
    expect(readFileSync(journal, 'utf8')).toBe('');
    await restarted.write(record('x', 3));
    await restarted.close();
    const again = new InstanceStore(folder);
    expect((await again.open()).map((r) => r.output)).toEqual([3]);
    await again.close();
  });

  it('refuses state it does not understand instead of dropping instances', async () => {
    const folder = temporaryFolder();
    const store = new InstanceStore(folder);
    await store.open();
    await store.close();
    appendFileSync(join(folder, 'journal.ndjson'), '{"sequence":1,"instanceId":"x","record":{}}\n');
    await expect(new InstanceStore(folder).open()).rejects.toThrow(LocalHostError);
  });
});
