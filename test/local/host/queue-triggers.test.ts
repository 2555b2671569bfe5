import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { QueueClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostLogRecord } from '../../../local/host/host-log.ts';
import { decodeQueueMessage } from '../../../local/host/queue/queue-message-encoding.ts';
import {
  checkQueueName,
  parseQueueHostOptions,
} from '../../../local/host/queue/queue-host-options.ts';
import { nextPollingDelay } from '../../../local/host/queue/run-queue-triggers.ts';
import { startLocalHost, type LocalHost } from '../../../local/host/start-local-host.ts';
import { startAzurite, type AzuriteTables } from '../../support/azurite.ts';
import { journal } from './fixtures/sample-app/journal.ts';
import { removeTemporaryFolders, temporaryFolder } from './support/sample-host.ts';

const ENTRY = fileURLToPath(new URL('./fixtures/queue-app/index.ts', import.meta.url));

let azurite: AzuriteTables;
beforeAll(async () => {
  azurite = await startAzurite();
}, 30_000);
afterAll(async () => {
  await azurite?.stop();
  removeTemporaryFolders();
});

function start(env: Record<string, string>, logs: HostLogRecord[] = []): Promise<LocalHost> {
  return startLocalHost({
    entry: ENTRY,
    port: 0,
    stateDirectory: temporaryFolder(),
    tlsDirectory: join(tmpdir(), 'courier-host-tests-tls'),
    env: { SampleQueues: azurite.connectionString, ...env },
    log: (record) => logs.push(record),
  });
}

function queue(name: string): QueueClient {
  return new QueueClient(azurite.connectionString.replace(/TableEndpoint=[^;]+;/, ''), name);
}

const base64 = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64');

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const runs = (tag: string) =>
  journal().filter(
    (e) => e.activity === 'work' && (e.input as { message: { tag?: string } }).message?.tag === tag,
  ) as { input: { message: unknown; dequeueCount: number; id: string; at: number } }[];

async function messagesIn(client: QueueClient): Promise<string[]> {
  const peeked = await client.peekMessages({ numberOfMessages: 32 });
  return peeked.peekedMessageItems.map((m) => m.messageText);
}

describe('queue triggers in the local host (Azurite)', () => {
  let host: LocalHost;
  const logs: HostLogRecord[] = [];
  beforeAll(async () => {
    // Upper case in the binding is lowercased, as the Functions host does before checking it.
    host = await start({ SAMPLE_QUEUE: 'Work-Items' }, logs);
  }, 30_000);
  afterAll(async () => host?.close());

  it('lists the function as a queue trigger on the lowercased queue', () => {
    expect(host.functions).toContainEqual({ name: 'work', kind: 'queue', trigger: 'queueTrigger' });
    expect(logs.filter((l) => l.message.includes('does not run that trigger'))).toEqual([]);
  });

  it('runs a base64 message once with its trigger metadata, then deletes it', async () => {
    const sent = await queue('work-items').sendMessage(base64({ tag: 'once' }));
    const [run] = await until('the run', () => (runs('once').length ? runs('once') : undefined));
    expect(run!.input).toMatchObject({
      message: { tag: 'once' },
      dequeueCount: 1,
      id: sent.messageId,
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(runs('once')).toHaveLength(1);
    expect(await messagesIn(queue('work-items'))).toEqual([]);
  });

  it('retries a failing message at once, counting tries, and succeeds when it stops failing', async () => {
    await queue('work-items').sendMessage(base64({ tag: 'flaky', failUntil: 2 }));
    await until('three tries', () => (runs('flaky').length >= 3 ? true : undefined));
    expect(runs('flaky').map((r) => r.input.dequeueCount)).toEqual([1, 2, 3]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(runs('flaky')).toHaveLength(3);
  });

  it('moves a message to <queue>-poison after maxDequeueCount (5) failed tries, still base64', async () => {
    await queue('work-items').sendMessage(base64({ tag: 'poison', failUntil: 99 }));
    const poison = queue('work-items-poison');
    await until('five tries', () => (runs('poison').length >= 5 ? true : undefined));
    let texts: string[] = [];
    for (let i = 0; i < 100 && texts.length === 0; i += 1) {
      await poison.createIfNotExists();
      texts = await messagesIn(poison);
      if (texts.length === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(runs('poison').map((r) => r.input.dequeueCount)).toEqual([1, 2, 3, 4, 5]);
    expect(texts.map((t) => JSON.parse(decodeQueueMessage(t, 'base64')!))).toEqual([
      { tag: 'poison', failUntil: 99 },
    ]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(runs('poison')).toHaveLength(5);
  });

  it('keeps listening when a message cannot be settled (deleted behind its back)', async () => {
    await queue('work-items').sendMessage(base64({ tag: 'self-deleted', deleteItself: true }));
    await until('the self-deleting run', () => (runs('self-deleted').length ? true : undefined));
    await queue('work-items').sendMessage(base64({ tag: 'after' }));
    await until('the next message', () => (runs('after').length ? true : undefined));
    expect(logs.some((l) => /could not be settled/.test(l.message))).toBe(true);
  });

  it('sends a message that is not base64 to the poison queue without running the function', async () => {
    await queue('work-items').sendMessage('{"tag":"plain"}');
    const poison = queue('work-items-poison');
    let texts: string[] = [];
    for (let i = 0; i < 100 && !texts.includes('{"tag":"plain"}'); i += 1) {
      await poison.createIfNotExists();
      texts = await messagesIn(poison);
      if (!texts.includes('{"tag":"plain"}'))
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(texts).toContain('{"tag":"plain"}');
    expect(runs('plain')).toEqual([]);
    expect(logs.some((l) => l.level === 'error' && /is not base64/.test(l.message))).toBe(true);
  });
});

describe('queue trigger settings in the local host', () => {
  it('waits visibilityTimeout before a retry, from an AzureFunctionsJobHost__ override; "none" reads plain text', async () => {
    const host = await start({
      SAMPLE_QUEUE: 'slow-retries',
      AzureFunctionsJobHost__extensions__queues__visibilityTimeout: '00:00:02',
      AzureFunctionsJobHost__extensions__queues__messageEncoding: 'none',
    });
    try {
      await queue('slow-retries').sendMessage(JSON.stringify({ tag: 'slow', failUntil: 1 }));
      await until('the retry', () => (runs('slow').length >= 2 ? true : undefined));
      const [first, second] = runs('slow');
      expect(second!.input.dequeueCount).toBe(2);
      expect(second!.input.at - first!.input.at).toBeGreaterThanOrEqual(1_900);
    } finally {
      await host.close();
    }
  }, 30_000);

  it.each([
    [
      'a name the host refuses',
      { SAMPLE_QUEUE: 'work--items' },
      'APP_CONFIG_INVALID',
      /consecutive dashes/,
    ],
    ['a name too short', { SAMPLE_QUEUE: 'wi' }, 'APP_CONFIG_INVALID', /3 to 63/],
    ['an unset %setting%', {}, 'APP_CONFIG_INVALID', /SAMPLE_QUEUE, which is not set/],
    [
      'a missing connection',
      { SAMPLE_QUEUE: 'fine', SampleQueues: '' },
      'APP_CONFIG_INVALID',
      /'AzureWebJobsSampleQueues' does not exist/,
    ],
    [
      'an identity-based connection',
      {
        SAMPLE_QUEUE: 'fine',
        SampleQueues: '',
        SampleQueues__queueServiceUri: 'https://x.queue.core.windows.net',
      },
      'UNSUPPORTED',
      /identity-based/,
    ],
  ])(
    'refuses %s',
    async (_what, env, code, message) => {
      const previous = process.env.SAMPLE_QUEUE;
      delete process.env.SAMPLE_QUEUE;
      try {
        await expect(start(env as Record<string, string>)).rejects.toMatchObject({
          code,
          message: expect.stringMatching(message),
        });
      } finally {
        if (previous !== undefined) process.env.SAMPLE_QUEUE = previous;
      }
    },
    30_000,
  );

  it('reads extensions.queues with the host defaults and refuses what the host refuses', () => {
    expect(parseQueueHostOptions(undefined, [])).toEqual({
      maxPollingIntervalMs: 2_000,
      visibilityTimeoutMs: 0,
      batchSize: 16,
      maxDequeueCount: 5,
      messageEncoding: 'base64',
    });
    const problems: string[] = [];
    expect(
      parseQueueHostOptions(
        {
          MaxPollingInterval: '00:01:00',
          batchSize: '8',
          maxDequeueCount: 2,
          messageEncoding: 'None',
        },
        problems,
      ),
    ).toMatchObject({
      maxPollingIntervalMs: 60_000,
      batchSize: 8,
      maxDequeueCount: 2,
      messageEncoding: 'none',
    });
    expect(problems).toEqual([]);
    parseQueueHostOptions(
      {
        batchSize: 33,
        maxDequeueCount: 0,
        messageEncoding: 'utf8',
        visibilityTimeout: '10s',
        maxPollingInterval: '00:00:00.05',
      },
      problems,
    );
    expect(problems).toHaveLength(5);
    expect(checkQueueName('Courier-Notifications', 'f')).toBe('courier-notifications');
    for (const bad of ['-abc', 'abc-', 'a_b', 'ab', 'x'.repeat(64), 'ünï']) {
      expect(() => checkQueueName(bad, 'f')).toThrow(
        expect.objectContaining({ code: 'APP_CONFIG_INVALID' }),
      );
    }
  });

  it('decodes base64 as .NET does, and polls an idle queue less and less often up to the maximum', () => {
    expect(decodeQueueMessage('eyJhIjoxfQ==', 'base64')).toBe('{"a":1}');
    expect(decodeQueueMessage('eyJh\nIjoxfQ==', 'base64')).toBe('{"a":1}');
    expect(decodeQueueMessage('eyJhIjoxfQ', 'base64')).toBeUndefined();
    expect(decodeQueueMessage('{"a":1}', 'base64')).toBeUndefined();
    expect(decodeQueueMessage('{"a":1}', 'none')).toBe('{"a":1}');
    let current = 100;
    const waits: number[] = [];
    for (let i = 0; i < 8; i += 1) {
      const step = nextPollingDelay(current, 2_000, () => 0.5);
      waits.push(step.wait);
      current = step.next;
    }
    expect(waits).toEqual([100, 200, 400, 800, 1600, 2000, 2000, 2000]);
  });
});
