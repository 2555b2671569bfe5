import type { RpcLogLevel } from './functions-core-api.ts';
import type { InvocationLogRecord } from './invoke-function.ts';

export type HostLogLevel = 'debug' | 'info' | 'warn' | 'error';

/** One structured log entry from the host or from the app's `context.log`. */
export interface HostLogRecord {
  level: HostLogLevel;
  message: string;
  /** "host" for the host's own entries, "user" for the app's logs, "system" for the library's. */
  category: 'host' | 'user' | 'system';
  functionName?: string;
  invocationId?: string;
  instanceId?: string;
  error?: unknown;
}

/** Where log entries go; the host never writes to the console itself. */
export type HostLog = (record: HostLogRecord) => void;

export const discardLog: HostLog = () => undefined;

export function hostLogLevel(level: RpcLogLevel): HostLogLevel {
  switch (level) {
    case 'trace':
    case 'debug':
    case 'none':
      return 'debug';
    case 'information':
      return 'info';
    case 'warning':
      return 'warn';
    default:
      return 'error';
  }
}

/** Forwards an invocation's own log entries (the app's context.log, the library's) to `log`. */
export function invocationLogTo(log: HostLog): (entry: InvocationLogRecord) => void {
  return (entry) =>
    log({
      level: hostLogLevel(entry.level),
      category: entry.category === 'user' ? 'user' : 'system',
      message: entry.message,
      functionName: entry.functionName,
      invocationId: entry.invocationId,
    });
}
