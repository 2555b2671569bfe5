import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { InstanceStore } from '../../../local/host/durable/instance-store.ts';
import { httpsCall } from './support/https-call.ts';
import {
  SAMPLE_APP_ENTRY,
  sampleAppRoot,
  removeTemporaryFolders,
  temporaryFolder,
} from './support/sample-host.ts';

const REPOSITORY = fileURLToPath(new URL('../../../', import.meta.url));
const MAIN = join(REPOSITORY, 'local/host/main.ts');

interface RunningHost {
  child: ChildProcess;
  url: string;
  caPem: string;
  exited: Promise<number | null>;
}

const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});
afterAll(() => removeTemporaryFolders());

/** The host's command line in a child process, as `npm run host` will start it. */
async function startHostProcess(folder: string, timeScale: number): Promise<RunningHost> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      MAIN,
      SAMPLE_APP_ENTRY,
      '--app-root',
      sampleAppRoot(),
      '--port',
      '0',
      '--state-dir',
      join(folder, 'state'),
      '--tls-dir',
      join(tmpdir(), 'courier-host-tests-tls'),
      '--time-scale',
      String(timeScale),
      // The sample app waits on a 1000-hour reminder: legs, which this host otherwise refuses.
      '--allow-long-timers',
    ],
    {
      cwd: REPOSITORY,
      env: {
        ...process.env,
        SAMPLE_APP_JOURNAL: join(folder, 'journal.ndjson'),
        SAMPLE_APP_RELEASE: join(folder, 'release'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(child);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const first = await Promise.race([
    Promise.all([lines.next(), lines.next()]),
    exited.then((code) => {
      throw new Error(`The host exited (${code}) before printing its URL:\n${stderr}`);
    }),
  ]);
  const [url, caFile] = first.map((line) => String(line.value));
  return { child, url: url!, caPem: readFileSync(caFile!, 'utf8'), exited };
}

async function kill(host: RunningHost): Promise<void> {
  host.child.kill('SIGKILL');
  await host.exited;
}

function journal(folder: string): { activity: string; input: unknown }[] {
  const file = join(folder, 'journal.ndjson');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { activity: string; input: unknown });
}

async function until<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('Timed out waiting for the host.');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

interface Status {
  runtimeStatus: string;
  output: unknown;
  historyEvents?: { EventType: string }[];
}

async function status(host: RunningHost, id: string): Promise<Status | undefined> {
  const response = await httpsCall(
    host,
    'GET',
    `/runtime/webhooks/durabletask/instances/${id}?showHistory=true`,
  );
  return response.status === 404 ? undefined : response.json<Status>();
}

const start = (host: RunningHost, name: string, id: string, input?: unknown) =>
  httpsCall(host, 'POST', `/api/orchestrators/${name}/${id}`, {
    body: input === undefined ? '' : JSON.stringify(input),
  });

const raise = (host: RunningHost, id: string, event: string, data: unknown) =>
  httpsCall(host, 'POST', `/runtime/webhooks/durabletask/instances/${id}/raiseEvent/${event}`, {
    body: JSON.stringify(data),
    headers: { 'content-type': 'application/json' },
  });

describe('a host killed and restarted', () => {
  it('resumes waiting orchestrations and runs in-flight activities again, completing each once', async () => {
    const folder = temporaryFolder();
    const first = await startHostProcess(folder, 3600);

    // In flight: a sub-orchestration, then an activity that blocks until the release file exists.
    expect((await start(first, 'parent', 'in-flight')).status).toBe(202);
    // Waiting on a durable timer (a durable day: 24 real seconds here), with an event buffered.
    expect((await start(first, 'lateListener', 'on-timer', 24)).status).toBe(202);
    // Waiting on an external event only.
    const approval = { requestId: 'on-event', reminderHours: 1000, maxReminders: 1 };
    expect((await start(first, 'approval', 'on-event', approval)).status).toBe(202);

    await until(() => journal(folder).find((e) => e.activity === 'slowSideEffect'));
    await until(async () =>
      (await status(first, 'on-timer'))?.runtimeStatus === 'Running' ? true : undefined,
    );
    expect((await raise(first, 'on-timer', 'Go', { buffered: true })).status).toBe(202);
    await until(async () =>
      (await status(first, 'on-event'))?.runtimeStatus === 'Running' ? true : undefined,
    );
    const beforeKill = await status(first, 'on-timer');
    expect(beforeKill?.historyEvents?.map((e) => e.EventType)).not.toContain('TimerFired');

    await kill(first);
    expect(journal(folder).filter((e) => e.activity === 'slowSideEffect')).toHaveLength(1);
    // Nothing half-written survives a kill: every record reads back.
    const store = new InstanceStore(join(folder, 'state', 'SampleHub'));
    const records = await store.open();
    await store.close();
    expect(records.map((r) => r.instanceId).sort()).toEqual([
      'in-flight',
      'in-flight:0000',
      'on-event',
      'on-timer',
    ]);

    writeFileSync(join(folder, 'release'), '');
    // Restarted with time 100 times faster still: the timer, re-armed from its fire time, is due
    // a quarter of a second after the restart.
    const second = await startHostProcess(folder, 360_000);
    expect(
      (await raise(second, 'on-event', 'Approval', { approved: true, by: 'manager' })).status,
    ).toBe(202);

    const done = await until(async () => {
      const all = await Promise.all(
        ['in-flight', 'on-timer', 'on-event'].map((id) => status(second, id)),
      );
      return all.every((s) => s?.runtimeStatus === 'Completed') ? all : undefined;
    });
    const [inFlight, onTimer, onEvent] = done as Status[];
    expect(inFlight!.output).toEqual({ child: 'HELLO CHILD!', effect: 'done parent' });
    expect(onTimer!.output).toMatchObject({ data: { buffered: true } });
    // One timer, created before the kill and fired after the restart; the event stayed buffered.
    expect(onTimer!.historyEvents!.map((e) => e.EventType)).toEqual([
      'ExecutionStarted',
      'TimerCreated',
      'EventRaised',
      'TimerFired',
      'ExecutionCompleted',
    ]);
    expect(onEvent!.output).toMatchObject({ outcome: 'approved', by: 'manager' });
    for (const instance of done as Status[]) {
      expect(
        instance.historyEvents!.filter((e) => e.EventType === 'ExecutionCompleted'),
      ).toHaveLength(1);
    }
    // At least once: the interrupted activity ran again after the restart.
    expect(journal(folder).filter((e) => e.activity === 'slowSideEffect')).toHaveLength(2);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });
});
