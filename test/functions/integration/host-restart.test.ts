import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestView } from '../../../core/request/request-view.ts';
import { startAzurite, type Azurite } from '../../../local/azurite/start-azurite.ts';
import { courierAppSettings } from '../../../local/stack/courier-app-settings.ts';
import { FUNCTIONS_ENTRY } from '../../../local/stack/start-local-stack.ts';
import { startLocalTenant, type LocalTenant } from '../../../local/tenant/start-local-tenant.ts';
import { ensureLocalTls } from '../../../local/tls/ensure-local-tls.ts';
import { httpsCall } from '../../local/host/support/https-call.ts';
import { signIn, type CourierCaller } from '../support/courier-stack.ts';
import { eventually } from '../support/eventually.ts';
import { claimed, TestStation } from '../support/test-station.ts';

const MAIN = fileURLToPath(new URL('../../../local/host/main.ts', import.meta.url));
const REPOSITORY = fileURLToPath(new URL('../../../', import.meta.url));

interface HostProcess {
  child: ChildProcess;
  url: string;
  caPem: string;
  exited: Promise<number | null>;
}

let folder: string;
let tenant: LocalTenant;
let azurite: Azurite;
let settings: Record<string, string>;
const children: ChildProcess[] = [];
const tokens = new Map<string, Promise<string>>();

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'courier-restart-'));
  const tlsDirectory = join(folder, 'tls');
  const tls = await ensureLocalTls({ directory: tlsDirectory });
  tenant = await startLocalTenant({ port: 0, tlsDirectory });
  azurite = await startAzurite({
    https: { certFile: tls.certificateFile, keyFile: tls.privateKeyFile, caPem: tls.caPem },
  });
  settings = courierAppSettings({ tenant, azurite, stateDirectory: folder });
}, 60_000);

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await azurite?.stop();
  await tenant?.close();
  await rm(folder, { recursive: true, force: true });
});

/** The functions app in the local host's command line, in a child process that can be killed. */
async function startHost(): Promise<HostProcess> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      MAIN,
      FUNCTIONS_ENTRY,
      '--port',
      '0',
      '--state-dir',
      join(folder, 'host'),
      '--tls-dir',
      join(folder, 'tls'),
    ],
    { cwd: REPOSITORY, env: { ...process.env, ...settings }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.push(child);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const [url, caFile] = await Promise.race([
    Promise.all([lines.next(), lines.next()]).then((read) => read.map((l) => String(l.value))),
    exited.then((code) => {
      throw new Error(`The host exited (${code}) before printing its URL:\n${stderr}`);
    }),
  ]);
  return { child, url: url!, caPem: readFileSync(caFile!, 'utf8'), exited };
}

async function kill(host: HostProcess): Promise<void> {
  host.child.kill('SIGKILL');
  await host.exited;
}

function as(host: HostProcess, who: string): CourierCaller {
  let token = tokens.get(who);
  if (!token) {
    token = signIn({ tenant }, who);
    tokens.set(who, token);
  }
  const target = { url: host.url, caPem: host.caPem };
  const headers = async () => ({ authorization: `Bearer ${await token}` });
  return {
    get: async (path) => httpsCall(target, 'GET', `/api/${path}`, { headers: await headers() }),
    post: async (path, body) =>
      httpsCall(target, 'POST', `/api/${path}`, {
        body: JSON.stringify(body ?? {}),
        headers: { ...(await headers()), 'content-type': 'application/json' },
      }),
  };
}

function inState(host: HostProcess, requestId: string, state: RequestView['state']) {
  return eventually(async () => {
    const answer = await as(host, 'admin').get(`requests/${requestId}`);
    const current = answer.status === 200 ? answer.json<RequestView>() : undefined;
    return current?.state === state ? current : undefined;
  }, `request ${requestId} to be ${state}`);
}

async function auditEvents(host: HostProcess, requestId: string): Promise<string[]> {
  const answer = await as(host, 'admin').get(`manage/audit?requestId=${requestId}`);
  return answer.json<{ records: { event: string }[] }>().records.map((r) => r.event);
}

describe('a functions host killed and restarted', () => {
  it('resumes a request that was waiting for approval', async () => {
    const first = await startHost();
    const created = await as(first, 'employee').post('requests', { reason: 'broken' });
    expect(created.status, created.text).toBe(202);
    const { requestId } = created.json<{ requestId: string }>();
    await inState(first, requestId, 'AwaitingApproval');
    await kill(first);

    const second = await startHost();
    const decided = await as(second, 'manager').post(`requests/${requestId}/decision`, {
      approved: true,
    });
    expect(decided.status, decided.text).toBe(202);
    await inState(second, requestId, 'AwaitingStation');
    // Each transition was recorded once, across the restart.
    const events = await auditEvents(second, requestId);
    expect(events.filter((e) => e === 'approval-requested')).toHaveLength(1);
    expect(events.filter((e) => e === 'approved')).toHaveLength(1);
    await kill(second);
  }, 90_000);

  it('re-runs a registration that was in flight, registering the key exactly once', async () => {
    const first = await startHost();
    const bulk = await as(first, 'admin').post('manage/requests/bulk', {
      batchId: 'restart-2',
      requests: [{ user: 'julia.rossi@fabrikam.example' }],
    });
    expect(bulk.status, bulk.text).toBe(200);
    const requestId = bulk.json<{ results: { requestId: string }[] }>().results[0]!.requestId;
    await inState(first, requestId, 'AwaitingStation');
    const job = claimed(
      await as(first, 'operator').post(`station/jobs/job-${requestId}/claim`, {
        stationId: 'mailroom-1',
      }),
    );

    // Graph answers slowly, so the registration activity is still running when the host dies.
    tenant.controls.setFaults({ latencyMs: 1500 });
    const graphBefore = tenant.controls.counters().graph;
    const station = new TestStation(as(first, 'operator'), 'mailroom-1');
    const submitted = station.program(job).catch((error: unknown) => error);
    await eventually(
      () => Promise.resolve(tenant.controls.counters().graph > graphBefore + 1 ? true : undefined),
      'the registration to reach Graph',
    );
    await kill(first);
    expect(await submitted).toBeInstanceOf(Error);
    tenant.controls.setFaults(null);

    // The host re-runs the interrupted activity by itself; the station repeats its result call
    // once the host is back (same attempt, same body) and gets the outcome.
    const second = await startHost();
    const repeated = await new TestStation(as(second, 'operator'), 'mailroom-1').submit(
      job.jobId,
      station.lastSubmission!,
    );
    expect(repeated.status, repeated.text).toBe(200);
    const { methodId } = repeated.json<{ outcome: string; methodId: string }>();
    await inState(second, requestId, 'Registered');
    const julia = tenant.directory.findUser('julia.rossi@fabrikam.example')!;
    const methods = tenant.controls.inspect().methods.filter((m) => m.userId === julia.id);
    expect(methods.map((m) => m.id)).toEqual([methodId]);
    const events = await auditEvents(second, requestId);
    expect(events.filter((e) => e === 'registered')).toHaveLength(1);
    await kill(second);
  }, 90_000);
});
