import { describe, expect, it } from 'vitest';
import type { GraphError } from '../../../core/graph/graph-error.ts';
import { GraphGateway } from '../../../core/graph/graph-gateway.ts';
import { parseRetryAfter } from '../../../core/graph/retry-middleware.ts';
import {
  EventClock,
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

  it('holds back every request of any kind until a Retry-After has passed, even one started later', async () => {
    const clock = new EventClock();
    let throttledAt: number | undefined;
    const graph = new ScriptedGraph((request, index) => {
      if (index < 3) {
        throttledAt ??= clock.now();
        return {
          status: 429,
          headers: { 'retry-after': '5' },
          body: graphErrorBody('TooManyRequests', 'slow down'),
        };
      }
      if (request.method === 'DELETE') return { status: 204 };
      if (request.method === 'POST') return { status: 200, body: { value: [] } };
      return request.path.includes('fido2Methods')
        ? { status: 200, body: { value: [] } }
        : { status: 200, body: USER };
    }, clock);
    const client = new GraphGateway({ credential: staticCredential, transport: graph, clock });
    const burst = Promise.all([
      client.getUser(USER.id),
      client.checkMemberGroups(USER.id, ['g1']),
      client.listFido2Methods(USER.id),
    ]);
    // A request of another kind, started 1 s into the 5 s wait, by a caller that saw no 429.
    const later = clock.sleep(1_000).then(() => client.deleteFido2Method(USER.id, 'm1'));
    await clock.run(Promise.all([burst, later]));
    expect(graph.requests.slice(0, 3).every((r) => r.at === throttledAt)).toBe(true);
    const afterwards = graph.requests.slice(3);
    expect(afterwards.map((r) => r.method).sort()).toEqual(['DELETE', 'GET', 'GET', 'POST']);
    for (const request of afterwards)
      expect(request.at).toBeGreaterThanOrEqual(throttledAt! + 5_000);
  });

  it('never resends a POST answered 503 or 504: its outcome is unknown', async () => {
    for (const status of [503, 504]) {
      const post = gateway(() => ({
        status,
        headers: { 'retry-after': '1' },
        body: graphErrorBody('serviceNotAvailable', 'busy'),
      }));
      const error = await failure(post.client.checkMemberGroups(USER.id, ['g1']));
      expect(error.status).toBe(status);
      expect(post.graph.requests).toHaveLength(1);
    }
  });

  it('parses Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-11-28T12:00:00Z');
    expect(parseRetryAfter('12', now)).toBe(12_000);
    expect(parseRetryAfter('Sat, 28 Nov 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});
