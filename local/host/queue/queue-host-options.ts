import { LocalHostError } from '../local-host-error.ts';

/** host.json `extensions.queues`, with the Functions host's defaults. */
export interface QueueHostOptions {
  /** Longest wait between polls of an idle queue. */
  maxPollingIntervalMs: number;
  /** How long a failed message stays invisible before its next try (default 0: at once). */
  visibilityTimeoutMs: number;
  /** Messages taken per poll, run in parallel (1-32). */
  batchSize: number;
  /** Tries before a message goes to `<queue>-poison`. */
  maxDequeueCount: number;
  /** "base64" (the default since the queues extension 5.0) or "none". */
  messageEncoding: 'base64' | 'none';
}

/**
 * Core Tools runs the host in the Development environment, where the extension lowers the
 * default maximum polling interval from one minute to two seconds
 * (StorageQueuesWebJobsBuilderExtensions); a host.json value wins in both.
 */
export const LOCAL_DEFAULT_MAX_POLLING_MS = 2_000;

const TIME_SPAN = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?$/;

/** Reads `extensions.queues` the way the host binds QueuesOptions; problems are collected. */
export function parseQueueHostOptions(section: unknown, problems: string[]): QueueHostOptions {
  const options: QueueHostOptions = {
    maxPollingIntervalMs: LOCAL_DEFAULT_MAX_POLLING_MS,
    visibilityTimeoutMs: 0,
    batchSize: 16,
    maxDequeueCount: 5,
    messageEncoding: 'base64',
  };
  if (section === undefined) return options;
  if (typeof section !== 'object' || section === null || Array.isArray(section)) {
    problems.push('extensions.queues must be a JSON object.');
    return options;
  }
  // The host's configuration keys are case-insensitive.
  const entries = Object.entries(section as Record<string, unknown>);
  const value = (name: string): unknown =>
    entries.find(([key]) => key.toLowerCase() === name.toLowerCase())?.[1];
  const polling = timeSpan(value('maxPollingInterval'), 'maxPollingInterval', problems);
  if (polling !== undefined) {
    // QueuePollingIntervals.Minimum: the extension refuses anything under 100 ms.
    if (polling < 100)
      problems.push('extensions.queues.maxPollingInterval must be at least 100 ms.');
    else options.maxPollingIntervalMs = polling;
  }
  const visibility = timeSpan(value('visibilityTimeout'), 'visibilityTimeout', problems);
  if (visibility !== undefined) options.visibilityTimeoutMs = visibility;
  const batch = integer(value('batchSize'), 'batchSize', problems);
  if (batch !== undefined) {
    if (batch < 1 || batch > 32) problems.push('extensions.queues.batchSize must be from 1 to 32.');
    else options.batchSize = batch;
  }
  const dequeue = integer(value('maxDequeueCount'), 'maxDequeueCount', problems);
  if (dequeue !== undefined) {
    if (dequeue < 1) problems.push('extensions.queues.maxDequeueCount must be at least 1.');
    else options.maxDequeueCount = dequeue;
  }
  const encoding = value('messageEncoding');
  if (encoding !== undefined) {
    const text = typeof encoding === 'string' ? encoding.toLowerCase() : '';
    if (text === 'base64' || text === 'none') options.messageEncoding = text;
    else problems.push('extensions.queues.messageEncoding must be "base64" or "none".');
  }
  return options;
}

/**
 * The host's rule for queue names (QueueClientExtensions.ValidateQueueName), after it lowercases
 * the name "to be nice": 3-63 characters, lowercase letters, digits and single dashes, neither
 * first nor last. Answers the lowercased name.
 */
export function checkQueueName(name: string, functionName: string): string {
  const lower = name.toLowerCase();
  const problem =
    lower.length < 3 || lower.length > 63
      ? 'must be from 3 to 63 characters long'
      : lower.startsWith('-') || lower.endsWith('-')
        ? 'may not start or end with a dash'
        : !/^[a-z0-9-]+$/.test(lower)
          ? 'may contain only letters, digits and dashes'
          : lower.includes('--')
            ? 'may not contain consecutive dashes'
            : undefined;
  if (problem) {
    throw new LocalHostError(
      'APP_CONFIG_INVALID',
      `${functionName}: the queue name "${name}" ${problem}; the Functions host refuses it too.`,
    );
  }
  return lower;
}

function timeSpan(value: unknown, name: string, problems: string[]): number | undefined {
  if (value === undefined) return undefined;
  const match = typeof value === 'string' ? TIME_SPAN.exec(value.trim()) : null;
  if (!match) {
    problems.push(
      `extensions.queues.${name} must be a TimeSpan "hh:mm:ss", got ${JSON.stringify(value)}.`,
    );
    return undefined;
  }
  const [, days, hours, minutes, seconds, fraction] = match;
  return (
    (((Number(days ?? 0) * 24 + Number(hours)) * 60 + Number(minutes)) * 60 + Number(seconds)) *
      1000 +
    Math.round(Number(`0.${fraction ?? '0'}`) * 1000)
  );
}

function integer(value: unknown, name: string, problems: string[]): number | undefined {
  if (value === undefined) return undefined;
  // App-setting overrides arrive as text.
  const number = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof number === 'number' && Number.isInteger(number)) return number;
  problems.push(`extensions.queues.${name} must be a whole number.`);
  return undefined;
}
