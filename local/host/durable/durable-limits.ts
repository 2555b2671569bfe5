/**
 * The limits the real Durable backends hold an app to, so the local host can refuse what Azure
 * would refuse instead of letting it pass here and fail there.
 */

/**
 * SetCustomStatus: at most 16 KB of UTF-16 once serialized. The Durable extension's
 * MessagePayloadDataConverter counts whole kilobytes, truncated (`(int)(bytes / 1024.0)`), and
 * refuses a count above the limit, so a status of 16 KB and 1,023 bytes still passes there and
 * here; 17 KB fails in both.
 */
export const MAX_CUSTOM_STATUS_KB = 16;

/**
 * The Durable Task Scheduler carries each work item message (activity input and result,
 * orchestration input and output) in a gRPC message of about 1 MiB; bigger ones never arrive.
 */
export const MAX_PAYLOAD_BYTES = 1024 * 1024;

/** UTF-16 bytes of a JSON text, as .NET's Encoding.Unicode counts them. */
export function utf16Bytes(text: string): number {
  return text.length * 2;
}

/**
 * The extension's own words for a custom status that is too big (so a test here fails with the
 * message Azure gives), or undefined when it fits. The cure: carry counts and ids in the status,
 * never lists that grow.
 */
export function customStatusProblem(customStatus: unknown): string | undefined {
  if (customStatus === null || customStatus === undefined) return undefined;
  const kilobytes = Math.trunc(utf16Bytes(JSON.stringify(customStatus)) / 1024);
  if (kilobytes <= MAX_CUSTOM_STATUS_KB) return undefined;
  const n0 = (n: number) => n.toLocaleString('en-US');
  return `The UTF-16 size of the JSON-serialized payload must not exceed ${n0(MAX_CUSTOM_STATUS_KB)} KB. The current payload size is ${n0(kilobytes)} KB.`;
}

/** A message for a payload past the backend's limit, or undefined when it fits. */
export function payloadProblem(what: string, json: string | undefined): string | undefined {
  if (json === undefined) return undefined;
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes <= MAX_PAYLOAD_BYTES) return undefined;
  return `${what} is ${bytes} bytes, over the ${MAX_PAYLOAD_BYTES}-byte (1 MiB) message limit of the Durable Task Scheduler: pass ids and fetch the data in the activity instead.`;
}

/** A message for a timer past the policy's longest, or undefined when it is allowed. */
export function timerProblem(
  fireAt: number,
  now: number,
  maximumMs: number | undefined,
): string | undefined {
  if (maximumMs === undefined || fireAt - now <= maximumMs) return undefined;
  const days = (ms: number) => Number((ms / 86_400_000).toFixed(2));
  return `A durable timer for ${new Date(fireAt).toISOString()} is ${days(fireAt - now)} days past the orchestration's clock (${new Date(now).toISOString()}); this host allows at most ${days(maximumMs)} days. Longer timers are split into legs by the Azure Storage backend and a cancelled one replays differently from the history it left: wait in a loop of shorter timers.`;
}
