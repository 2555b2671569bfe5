import { redactSecrets, REDACTED } from '../store/redact-secrets.ts';

export type LogLevel = 'info' | 'warn' | 'error';

/** A structured logger: an event name and fields, written as one JSON line, secrets redacted. */
export interface CourierLogger {
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>, error?: unknown): void;
}

/**
 * Field names whose values never reach a log: PINs and their envelopes, tokens, and WebAuthn
 * challenges (in options and clientDataJSON). Redaction happens here, at the logger, so no call
 * site has to remember it.
 */
const SECRET_KEYS =
  /^(pin|newpin|pinenvelope|ciphertext|token|accesstoken|idtoken|refreshtoken|authorization|challenge|clientdatajson|attestationobject|options|secret|clientsecret|password|connectionstring)$/i;

/** A copy of `value` with secret fields replaced and free text scrubbed of tokens. */
export function redactForLog(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactSecrets(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 6) return '[…]';
  if (value instanceof Error) {
    return {
      name: value.name,
      message: redactSecrets(value.message),
      ...('code' in value ? { code: (value as { code: unknown }).code } : {}),
    };
  }
  if (Array.isArray(value)) return value.slice(0, 50).map((item) => redactForLog(item, depth + 1));
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    copy[key] = SECRET_KEYS.test(key) ? REDACTED : redactForLog(item, depth + 1);
  }
  return copy;
}

/** A logger writing JSON lines to `sink` (the Functions invocation context, or a host log). */
export function courierLogger(
  sink: (level: LogLevel, line: string) => void,
  base: Record<string, unknown> = {},
): CourierLogger {
  const write = (
    level: LogLevel,
    event: string,
    fields: Record<string, unknown>,
    error?: unknown,
  ) =>
    sink(
      level,
      JSON.stringify(
        redactForLog({
          event,
          ...base,
          ...fields,
          ...(error === undefined ? {} : { error }),
        }),
      ),
    );
  return {
    info: (event, fields = {}) => write('info', event, fields),
    warn: (event, fields = {}) => write('warn', event, fields),
    error: (event, fields = {}, error) => write('error', event, fields, error),
  };
}

/** The logger of one function invocation: JSON lines through the context, tagged with it. */
export function invocationLogger(context: {
  functionName: string;
  invocationId: string;
  log(line: string): void;
  warn(line: string): void;
  error(line: string): void;
}): CourierLogger {
  return courierLogger(
    (level, line) =>
      level === 'error'
        ? context.error(line)
        : level === 'warn'
          ? context.warn(line)
          : context.log(line),
    { function: context.functionName, invocationId: context.invocationId },
  );
}
