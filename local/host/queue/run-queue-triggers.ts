import {
  QueueServiceClient,
  type DequeuedMessageItem,
  type QueueClient,
  type StoragePipelineOptions,
} from '@azure/storage-queue';
import type { RpcTypedData } from '../functions-core-api.ts';
import type { HostLog } from '../host-log.ts';
import { invokeTrigger } from '../invoke-trigger.ts';
import type { FunctionApp } from '../load-function-app.ts';
import { LocalHostError } from '../local-host-error.ts';
import type { RegisteredFunction } from '../registered-function.ts';
import { checkQueueName, type QueueHostOptions } from './queue-host-options.ts';
import { decodeQueueMessage } from './queue-message-encoding.ts';

export interface QueueTriggers {
  /** Each queue function with its queue, for the start-up listing. */
  readonly queues: { functionName: string; queueName: string }[];
  /** Stops polling and waits for the messages in hand to finish. */
  stop(): Promise<void>;
}

/** How long a received message stays invisible while its function runs (the host's 10 minutes). */
const PROCESSING_VISIBILITY_SECONDS = 600;
/** The first wait after an empty poll (QueuePollingIntervals.Minimum). */
const MIN_POLLING_MS = 100;

/**
 * Runs the app's queue triggers against a storage queue service (Azurite locally) with the
 * Functions host's semantics: the binding's `connection` is an app setting (`AzureWebJobs<name>`
 * first, then `<name>`), queue names are lowercased and checked as the host does, messages are
 * base64-decoded unless host.json says `messageEncoding: "none"` (one that is not base64 goes
 * to the poison queue), a failed run makes the message visible again after `visibilityTimeout`,
 * and after `maxDequeueCount` tries it moves to `<queue>-poison`. An idle queue is polled less
 * and less often, up to `maxPollingInterval`.
 */
export async function startQueueTriggers(host: {
  app: FunctionApp;
  durableClientInput: string;
  settings: Record<string, string | undefined>;
  options: QueueHostOptions;
  /** The local CA, trusted for an https Azurite (its certificate comes from it). */
  caPem: string;
  log: HostLog;
}): Promise<QueueTriggers> {
  const functions = host.app.functions.filter((fn) => fn.kind === 'queue');
  const bound = functions.map((fn) => {
    const binding = fn.metadata.bindings[fn.triggerBindingName] ?? {};
    const rawName = typeof binding.queueName === 'string' ? binding.queueName : '';
    const queueName = checkQueueName(resolveSettings(rawName, host.settings, fn.name), fn.name);
    const connection = typeof binding.connection === 'string' ? binding.connection : '';
    const service = queueService(connectionString(connection, host.settings, fn.name), host.caPem);
    return {
      fn,
      queueName,
      queue: service.getQueueClient(queueName),
      poison: service.getQueueClient(`${queueName}-poison`),
    };
  });
  // As the host's listener: a queue that does not exist yet is simply empty. Creating it here
  // keeps the first polls from logging 404s.
  await Promise.all(bound.map(({ queue }) => queue.createIfNotExists()));

  let stopped = false;
  const wakers = new Set<() => void>();
  const loops = bound.map((entry) =>
    poll(entry, host, () => stopped, wakers).catch((error: unknown) =>
      host.log({
        level: 'error',
        category: 'host',
        message: `${entry.fn.name}: the queue listener stopped.`,
        functionName: entry.fn.name,
        error,
      }),
    ),
  );
  return {
    queues: bound.map(({ fn, queueName }) => ({ functionName: fn.name, queueName })),
    async stop() {
      stopped = true;
      for (const wake of wakers) wake();
      await Promise.all(loops);
    },
  };
}

interface BoundQueue {
  fn: RegisteredFunction;
  queueName: string;
  queue: QueueClient;
  poison: QueueClient;
}

async function poll(
  entry: BoundQueue,
  host: Parameters<typeof startQueueTriggers>[0],
  isStopped: () => boolean,
  wakers: Set<() => void>,
): Promise<void> {
  const { options } = host;
  let idleDelay = MIN_POLLING_MS;
  while (!isStopped()) {
    let messages: DequeuedMessageItem[] = [];
    try {
      messages = (
        await entry.queue.receiveMessages({
          numberOfMessages: options.batchSize,
          visibilityTimeout: PROCESSING_VISIBILITY_SECONDS,
        })
      ).receivedMessageItems;
    } catch (error) {
      if (isStopped()) return;
      host.log({
        level: 'warn',
        category: 'host',
        message: `${entry.fn.name}: polling queue ${entry.queueName} failed; trying again.`,
        functionName: entry.fn.name,
        error,
      });
    }
    if (messages.length > 0) {
      idleDelay = MIN_POLLING_MS;
      await Promise.all(
        messages.map((message) =>
          // A storage error on one message (its pop receipt expired, say) must not stop the
          // listener: the message reappears when its invisibility ends, as in the host.
          handleMessage(entry, message, host).catch((error: unknown) =>
            host.log({
              level: 'warn',
              category: 'host',
              message: `${entry.fn.name}: message ${message.messageId} could not be settled; it comes back when its invisibility ends.`,
              functionName: entry.fn.name,
              error,
            }),
          ),
        ),
      );
      continue;
    }
    const step = nextPollingDelay(idleDelay, options.maxPollingIntervalMs);
    const wait = step.wait;
    idleDelay = step.next;
    await new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, wait);
      wakers.add(wake);
    });
  }
}

/**
 * After an empty poll: wait, then poll again, doubling the wait each time up to the maximum,
 * with jitter (the host's RandomizedExponentialBackoffStrategy). Answers this wait and the next.
 */
export function nextPollingDelay(
  current: number,
  maxMs: number,
  random: () => number = Math.random,
): { wait: number; next: number } {
  return {
    wait: Math.min(Math.round(current * (0.8 + random() * 0.4)), maxMs),
    next: Math.min(current * 2, maxMs),
  };
}

async function handleMessage(
  entry: BoundQueue,
  message: DequeuedMessageItem,
  host: Parameters<typeof startQueueTriggers>[0],
): Promise<void> {
  const { fn } = entry;
  const { options, log } = host;
  const say = (level: 'info' | 'warn' | 'error', text: string, error?: unknown) =>
    log({
      level,
      category: 'host',
      message: `${fn.name}: message ${message.messageId} ${text}`,
      functionName: fn.name,
      ...(error === undefined ? {} : { error }),
    });
  // Tried too often already (a run that crashed the host counts too): straight to poison.
  if (message.dequeueCount > options.maxDequeueCount) {
    await toPoison(entry, message, message.messageText);
    say('warn', `was tried ${message.dequeueCount - 1} times; moved to ${entry.queueName}-poison.`);
    return;
  }
  const text = decodeQueueMessage(message.messageText, options.messageEncoding);
  if (text === undefined) {
    // The extension's MessageDecodingFailed handler: retrying cannot decode it either.
    await toPoison(entry, message, message.messageText);
    say(
      'error',
      `is not base64 (host.json messageEncoding is "base64"); moved to ${entry.queueName}-poison.`,
    );
    return;
  }
  const outcome = await invokeTrigger(host, fn, { string: text }, triggerMetadata(message, text));
  if (outcome.ok) {
    await entry.queue.deleteMessage(message.messageId, message.popReceipt);
    return;
  }
  if (message.dequeueCount >= options.maxDequeueCount) {
    await toPoison(entry, message, encode(text, options));
    say('warn', `failed ${message.dequeueCount} times; moved to ${entry.queueName}-poison.`);
    return;
  }
  // Visible again after visibilityTimeout (0 by default: retried at once).
  await entry.queue.updateMessage(
    message.messageId,
    message.popReceipt,
    undefined,
    Math.ceil(options.visibilityTimeoutMs / 1000),
  );
}

async function toPoison(entry: BoundQueue, message: DequeuedMessageItem, body: string) {
  await entry.poison.createIfNotExists();
  await entry.poison.sendMessage(body);
  await entry.queue.deleteMessage(message.messageId, message.popReceipt);
}

function encode(text: string, options: QueueHostOptions): string {
  return options.messageEncoding === 'base64' ? Buffer.from(text, 'utf8').toString('base64') : text;
}

/** The queue trigger's metadata as the host sends it (the library camel-cases the names). */
function triggerMetadata(message: DequeuedMessageItem, text: string): Record<string, RpcTypedData> {
  const time = (date: Date) => ({ json: JSON.stringify(date.toISOString()) });
  return {
    QueueTrigger: { string: text },
    DequeueCount: { int: message.dequeueCount },
    Id: { string: message.messageId },
    PopReceipt: { string: message.popReceipt },
    InsertionTime: time(message.insertedOn),
    ExpirationTime: time(message.expiresOn),
    NextVisibleTime: time(message.nextVisibleOn),
  };
}

/** `%NAME%` in a binding property, from the app settings; an unknown name is an error, as in the host. */
function resolveSettings(
  text: string,
  settings: Record<string, string | undefined>,
  functionName: string,
): string {
  return text.replace(/%([^%]+)%/g, (_whole, name: string) => {
    const value = setting(settings, name);
    if (value === undefined) {
      throw new LocalHostError(
        'APP_CONFIG_INVALID',
        `${functionName}: the queue name refers to app setting ${name}, which is not set.`,
      );
    }
    return value;
  });
}

/**
 * The connection string a binding's `connection` names, read as the host does: the setting
 * `AzureWebJobs<name>`, then `<name>`; no name means AzureWebJobsStorage. Identity-based
 * connections (`<name>__queueServiceUri`…) need Entra tokens Azurite does not check, so they
 * are refused here rather than pretended.
 */
function connectionString(
  name: string,
  settings: Record<string, string | undefined>,
  functionName: string,
): string {
  const connection = name === '' ? 'Storage' : name;
  const value = setting(settings, `AzureWebJobs${connection}`) ?? setting(settings, connection);
  if (value) return value;
  const lower = connection.toLowerCase();
  const section = Object.keys(settings).find((key) => key.toLowerCase().startsWith(`${lower}__`));
  if (section) {
    throw new LocalHostError(
      'UNSUPPORTED',
      `${functionName}: the connection ${connection} is identity-based (${section}); the local host needs ${connection} set to a connection string (Azurite's).`,
    );
  }
  throw new LocalHostError(
    'APP_CONFIG_INVALID',
    `${functionName}: storage account connection string 'AzureWebJobs${connection}' does not exist. Make sure that it is a defined App Setting (${connection} or AzureWebJobs${connection}).`,
  );
}

/** App settings are case-insensitive in the host. */
function setting(settings: Record<string, string | undefined>, name: string): string | undefined {
  const lower = name.toLowerCase();
  const key = Object.keys(settings).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : settings[key];
}

function queueService(connection: string, caPem: string): QueueServiceClient {
  // The local CA is the one trusted for an https Azurite on loopback; verification stays on,
  // and any other endpoint is checked against the public roots.
  const endpoint = /(?:^|;)QueueEndpoint=https:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/i.test(
    connection,
  );
  const options = (endpoint ? { tlsOptions: { ca: caPem } } : {}) as StoragePipelineOptions;
  try {
    return QueueServiceClient.fromConnectionString(connection, options);
  } catch (cause) {
    // It holds an account key: never quote it.
    throw new LocalHostError(
      'APP_CONFIG_INVALID',
      'A queue trigger connection setting is not a valid storage connection string.',
      { cause },
    );
  }
}
