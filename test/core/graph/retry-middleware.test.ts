import { describe, expect, it } from 'vitest';
import type { GraphError } from '../../../core/graph/graph-error.ts';
import { GraphGateway } from '../../../core/graph/graph-gateway.ts';
import { parseRetryAfter } from '../../../core/graph/retry-middleware.ts';
import {
  graphErrorBody,
  ManualClock,
  ScriptedGraph,
  staticCredential,
  type ScriptedAnswer,
} from '../../support/scripted-graph.ts';

const USER = {
  id: '11111111-2222-3333-4444-555555555555',
  userPrincipalName: 'ada@contoso.example',
  displayName: 'Ada',
};

function gateway(script: (index: number) => ScriptedAnswer, retry = {}) {
  const clock = new ManualClock();
  const graph = new ScriptedGraph((_request, index) => script(index), clock);
  const retries: { delayMs: number; retryAfterMs: number | undefined }[] = [];
  const client = new GraphGateway({
    credential: staticCredential,
    transport: graph,
    clock,
    retry,
    observer: { onRetry: (event) => retries.push(event) },
  });
  return { client, graph, clock, retries };
}

async function failure(promise: Promise<unknown>): Promise<GraphError> {
  try {
    await promise;
  } catch (error) {
    return error as GraphError;
  }
  throw new Error('expected a GraphError');
}

describe('retries against Graph', () => {
  it('waits exactly Retry-After on 429 and never sends earlier', async () => {
    const { client, graph, clock } = gateway((i) =>
      i < 2
        ? {
            status: 429,
            headers: { 'retry-after': '7' },
            body: graphErrorBody('TooManyRequests', 'slow down'),
          }
        : { status: 200, body: USER },
    );
    const user = await client.getUser(USER.id);
    expect(user.displayName).toBe('Ada');
    expect(graph.requests).toHaveLength(3);
    expect(graph.requests[1]!.at - graph.requests[0]!.at).toBeGreaterThanOrEqual(7_000);
    expect(graph.requests[2]!.at - graph.requests[1]!.at).toBeGreaterThanOrEqual(7_000);
    expect(clock.sleeps).toEqual([7_000, 7_000]);
  });

  it('backs off exponentially with jitter on 503 without Retry-After, and keeps the client-request-id', async () => {
    const { client, graph, clock } = gateway((i) =>
      i < 3
        ? { status: 503, body: graphErrorBody('serviceNotAvailable', 'busy') }
        : { status: 200, body: USER },
    );
    await client.getUser(USER.id);
    // ManualClock.random() = 0.5: equal jitter gives 3/4 of 500, 1000, 2000.
    expect(clock.sleeps).toEqual([375, 750, 1500]);
    expect(new Set(graph.requests.map((r) => r.headers['client-request-id'])).size).toBe(1);
  });

  it('gives up at the deadline with THROTTLED, keeping Retry-After and the request id', async () => {
    const { client, clock } = gateway(
      () => ({
        status: 429,
        headers: { 'retry-after': '40' },
        body: graphErrorBody('TooManyRequests', 'slow'),
      }),
      {
        deadlineMs: 60_000,
      },
    );
    const error = await failure(client.getUser(USER.id));
    expect(error.code).toBe('THROTTLED');
    expect(error.retryAfterSeconds).toBe(40);
    expect(error.requestId).toBe('req-2');
    expect(clock.sleeps).toEqual([40_000]);
  });

  it('stops after maxAttempts with SERVICE_UNAVAILABLE', async () => {
    const { client, graph } = gateway(
      () => ({ status: 504, body: graphErrorBody('gatewayTimeout', 'late') }),
      { maxAttempts: 3 },
    );
    expect((await failure(client.getUser(USER.id))).code).toBe('SERVICE_UNAVAILABLE');
    expect(graph.requests).toHaveLength(3);
  });

  it('retries a GET whose connection broke, but not a POST', async () => {
    const get = gateway((i) =>
      i === 0 ? { network: 'reset-after-send' } : { status: 200, body: USER },
    );
    await get.client.getUser(USER.id);
    expect(get.graph.requests).toHaveLength(2);

    const post = gateway(() => ({ network: 'reset-after-send' }));
    const error = await failure(post.client.checkMemberGroups(USER.id, ['g1']));
    expect(error.code).toBe('NETWORK');
    expect(error.outcomeUnknown).toBe(true);
    expect(post.graph.requests).toHaveLength(1);
  });

  it('parses Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-11-28T12:00:00Z');
    expect(parseRetryAfter('12', now)).toBe(12_000);
    expect(parseRetryAfter('Sat, 28 Nov 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});
