import { benchEmployees } from './bench-employees.ts';
import { Agent } from 'node:https';
import { performance } from 'node:perf_hooks';
import type { RequestView } from '../core/request/request-view.ts';
import { startBenchStack } from './start-bench-stack.ts';
import { loadTenantSeed } from '../local/tenant/seed/load-tenant-seed.ts';
import { signIn } from '../test/functions/support/courier-stack.ts';
import { httpsCall } from '../test/local/host/support/https-call.ts';

export interface WorkflowBenchOptions {
  requests: number;
  concurrency: number;
}

const MANAGERS = [
  'lars.eriksson@fabrikam.example',
  'sofia.marin@fabrikam.example',
  'grace.mensah@fabrikam.example',
  'hana.suzuki@fabrikam.example',
];

/**
 * `requests` generated employees each ask for a key through the request API, and their manager
 * approves it through the same API, against the functions app in the local host (tenant,
 * Azurite over HTTPS, Durable orchestrations). Measures, as a user of the API sees it:
 *  - start: POST requests until the request reads AwaitingApproval (approver resolved in Graph,
 *    transition recorded, approvers notified);
 *  - approve: POST decision until it reads AwaitingStation (recorded, job queued);
 * and prints throughput (requests started and approved per second), p50/p95 of both steps, and
 * the same run's p50 of a bare authenticated status read as the yardstick for the ratios.
 */
export async function runWorkflowBench({
  requests,
  concurrency,
}: WorkflowBenchOptions): Promise<void> {
  const seed = await loadTenantSeed();
  const employees = benchEmployees(
    seed,
    requests,
    {
      idBlock: '9000',
      upnPrefix: 'bench.employee',
      displayName: 'Bench Employee',
      employeeIdDigit: '8',
    },
    (i) => ({ manager: MANAGERS[i % MANAGERS.length]! }),
  );
  const { stack, close } = await startBenchStack('workflow', seed, employees);
  // One keep-alive agent, as a real client (the Teams tab, the station) would use.
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency, ca: stack.host.caPem });
  const target = { url: stack.host.url, caPem: stack.host.caPem };
  const call = (token: string, method: string, path: string, body?: unknown) =>
    httpsCall(target, method, `/api/${path}`, {
      agent,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
    });
  const reads: number[] = [];
  const read = async (token: string, requestId: string): Promise<RequestView | undefined> => {
    const started = performance.now();
    const answer = await call(token, 'GET', `requests/${requestId}`);
    reads.push(performance.now() - started);
    return answer.status === 200 ? answer.json<RequestView>() : undefined;
  };
  const until = async (token: string, requestId: string, state: string): Promise<void> => {
    for (let tries = 0; tries < 4000; tries++) {
      if ((await read(token, requestId))?.state === state) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`request ${requestId} never reached ${state}`);
  };
  try {
    const managerTokens = new Map<string, string>();
    for (const upn of MANAGERS) managerTokens.set(upn, await signIn(stack, upn));
    const employeeTokens = await pool(employees, concurrency, (e) =>
      signIn(stack, e.userPrincipalName),
    );

    const startSteps: number[] = [];
    const approveSteps: number[] = [];
    const began = performance.now();
    await pool(employees, concurrency, async (employee, index) => {
      const token = employeeTokens[index]!;
      const idempotencyKey = `bench-${String(index + 1).padStart(6, '0')}`;
      let mark = performance.now();
      const created = await call(token, 'POST', 'requests', { idempotencyKey, reason: 'new-hire' });
      if (created.status !== 202)
        throw new Error(`start ${idempotencyKey}: ${created.status} ${created.text}`);
      const { requestId } = created.json<{ requestId: string }>();
      await until(token, requestId, 'AwaitingApproval');
      startSteps.push(performance.now() - mark);
      mark = performance.now();
      const manager = managerTokens.get(employee.manager!)!;
      const decided = await call(manager, 'POST', `requests/${requestId}/decision`, {
        approved: true,
      });
      if (decided.status !== 202)
        throw new Error(`approve ${requestId}: ${decided.status} ${decided.text}`);
      await until(token, requestId, 'AwaitingStation');
      approveSteps.push(performance.now() - mark);
    });
    const seconds = (performance.now() - began) / 1000;
    const readP50 = percentile(reads, 50);
    const line = (name: string, samples: number[]) =>
      `  ${name.padEnd(8)} p50 ${percentile(samples, 50).toFixed(0).padStart(5)} ms  p95 ${percentile(samples, 95).toFixed(0).padStart(5)} ms  p50/read ${(percentile(samples, 50) / readP50).toFixed(1)}`;
    console.log(
      `workflow: ${requests} requests started and approved through the local host (${concurrency} at a time)`,
    );
    console.log(
      `  throughput ${(requests / seconds).toFixed(1)} requests/s (${seconds.toFixed(1)} s)`,
    );
    console.log(line('start', startSteps));
    console.log(line('approve', approveSteps));
    console.log(
      `  status read (yardstick) p50 ${readP50.toFixed(1)} ms over ${reads.length} reads`,
    );
  } finally {
    agent.destroy();
    await close();
  }
}

async function pool<T, R>(
  items: T[],
  width: number,
  run: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await run(items[index]!, index);
      }
    }),
  );
  return results;
}

function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
