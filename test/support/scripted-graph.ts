import type { AccessToken, TokenCredential } from '@azure/core-auth';
import type { Context, Middleware } from '@microsoft/microsoft-graph-client';
import { callRecordOf } from '../../core/graph/graph-call.ts';
import { GraphError } from '../../core/graph/graph-error.ts';
import type { RetryClock } from '../../core/graph/retry-clock.ts';

export interface ScriptedRequest {
  method: string;
  url: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
  at: number;
}

export type ScriptedAnswer =
  | { status: number; body?: unknown; headers?: Record<string, string> }
  | { network: 'refused' | 'reset-after-send' };

/**
 * Plays Microsoft Graph for gateway unit tests: each request is recorded and answered by the
 * script, in place of the HTTPS transport.
 */
export class ScriptedGraph implements Middleware {
  readonly requests: ScriptedRequest[] = [];
  private readonly script: (request: ScriptedRequest, index: number) => ScriptedAnswer;
  private readonly clock: RetryClock;

  constructor(
    script: (request: ScriptedRequest, index: number) => ScriptedAnswer,
    clock: RetryClock,
  ) {
    this.script = script;
    this.clock = clock;
  }

  execute(context: Context): Promise<void> {
    const url = typeof context.request === 'string' ? context.request : context.request.url;
    const headers = Object.fromEntries(new Headers(context.options?.headers).entries());
    const raw = context.options?.body;
    const request: ScriptedRequest = {
      method: (context.options?.method ?? 'GET').toUpperCase(),
      url,
      path: decodeURIComponent(new URL(url).pathname) + new URL(url).search,
      headers,
      body: typeof raw === 'string' ? JSON.parse(raw) : undefined,
      at: this.clock.now(),
    };
    this.requests.push(request);
    const answer = this.script(request, this.requests.length - 1);
    if ('network' in answer) {
      const error = new GraphError('NETWORK', `scripted ${answer.network}`, {
        outcomeUnknown: answer.network === 'reset-after-send',
      });
      const record = callRecordOf(context.options);
      if (record) record.networkError = error;
      return Promise.reject(error);
    }
    const responseHeaders = new Headers({
      'content-type': 'application/json',
      'request-id': `req-${this.requests.length}`,
      ...answer.headers,
    });
    if (headers['client-request-id'])
      responseHeaders.set('client-request-id', headers['client-request-id']);
    context.response = new Response(
      answer.body === undefined ? null : JSON.stringify(answer.body),
      { status: answer.status, headers: responseHeaders },
    );
    return Promise.resolve();
  }
}

/** A clock that only moves when the code under test sleeps. */
export class ManualClock implements RetryClock {
  time = 1_700_000_000_000;
  readonly sleeps: number[] = [];

  now(): number {
    return this.time;
  }

  sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.time += ms;
    return Promise.resolve();
  }

  random(): number {
    return 0.5;
  }
}

/**
 * A discrete-event clock for concurrent requests: sleeps wait until `run` moves time to them, in
 * time order, after everything already runnable has run. Lets a test start requests at chosen
 * moments and see exactly when each left.
 */
export class EventClock implements RetryClock {
  time = 1_700_000_000_000;
  private timers: { at: number; seq: number; resolve: () => void }[] = [];
  private seq = 0;

  now(): number {
    return this.time;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.timers.push({ at: this.time + Math.max(0, ms), seq: this.seq++, resolve });
    });
  }

  random(): number {
    return 0.5;
  }

  async run<T>(work: Promise<T>): Promise<T> {
    let settled = false;
    work.then(
      () => (settled = true),
      () => (settled = true),
    );
    for (let idle = 0; idle < 50;) {
      await new Promise((resolve) => setImmediate(resolve));
      if (settled) return work;
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers.shift();
      if (!next) {
        idle += 1;
        continue;
      }
      idle = 0;
      this.time = Math.max(this.time, next.at);
      next.resolve();
    }
    throw new Error('EventClock: the work is stuck with no timer pending.');
  }
}

export const staticCredential: TokenCredential = {
  getToken: (): Promise<AccessToken> =>
    Promise.resolve({ token: 'test-token', expiresOnTimestamp: Date.now() + 3_600_000 }),
};

/** Graph's error envelope. */
export function graphErrorBody(code: string, message: string): unknown {
  return {
    error: {
      code,
      message,
      innerError: {
        date: '2026-11-28T12:00:00',
        'request-id': 'envelope-request-id',
        'client-request-id': 'x',
      },
    },
  };
}
