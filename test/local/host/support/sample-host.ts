import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import {
  manualDurableClock,
  type ManualDurableClock,
} from '../../../../local/host/durable/durable-clock.ts';
import { HistoryEventType } from '../../../../local/host/durable/history-event.ts';
import type { InstanceRecord } from '../../../../local/host/durable/instance-record.ts';
import type { TimerPolicy } from '../../../../local/host/durable/orchestration-episode.ts';
import type { HostLogRecord } from '../../../../local/host/host-log.ts';
import {
  startLocalHost,
  type LocalHost,
  type LocalHostOptions,
} from '../../../../local/host/start-local-host.ts';
import { journal } from '../fixtures/sample-app/journal.ts';
import { httpsCall, type CallResult } from './https-call.ts';

export const SAMPLE_APP_ENTRY = fileURLToPath(
  new URL('../fixtures/sample-app/index.ts', import.meta.url),
);

/** A fixed start for manual clocks: deterministic timestamps in every assertion. */
export const EPOCH = Date.parse('2026-03-02T09:00:00.000Z');

export interface SampleHost {
  host: LocalHost;
  clock: ManualDurableClock | undefined;
  stateDirectory: string;
  logs: HostLogRecord[];
  call(
    method: string,
    path: string,
    options?: { body?: unknown; headers?: Record<string, string> },
  ): Promise<CallResult>;
  waitFor(
    instanceId: string,
    predicate: (record: InstanceRecord) => boolean,
    timeoutMs?: number,
  ): Promise<InstanceRecord>;
  close(): Promise<void>;
}

const temporaryFolders: string[] = [];

/** A folder removed by `removeTemporaryFolders` (call it in afterAll). */
export function temporaryFolder(prefix = 'courier-host-'): string {
  const folder = mkdtempSync(join(tmpdir(), prefix));
  temporaryFolders.push(folder);
  return folder;
}

export function removeTemporaryFolders(): void {
  for (const folder of temporaryFolders.splice(0)) rmSync(folder, { recursive: true, force: true });
}

/** The sample app on a fresh state folder, with a manual clock unless options say otherwise. */
const FIXTURES = fileURLToPath(new URL('../fixtures/sample-app/', import.meta.url));

/**
 * The sample app's root (host.json and local.settings.json) in a temporary folder: the settings
 * file is the kind of file a repository must not track, so it is committed under another name
 * and put in place here, as a developer's own copy would be.
 */
export function sampleAppRoot(): string {
  const root = temporaryFolder('courier-sample-root-');
  copyFileSync(join(FIXTURES, 'host.json'), join(root, 'host.json'));
  copyFileSync(join(FIXTURES, 'local.settings.fixture.json'), join(root, 'local.settings.json'));
  return root;
}

/**
 * The sample app exercises the host's own machinery, long timers split into legs included, so
 * its hosts allow long timers; the courier app runs under the default policy, which refuses them.
 */
export const LONG_TIMERS_ALLOWED: TimerPolicy = {
  maximumShortTimerMs: 6 * 86_400_000,
  longRunningTimerIntervalMs: 3 * 86_400_000,
};

export async function startSampleHost(
  options: Partial<LocalHostOptions> & { manualClock?: boolean } = {},
): Promise<SampleHost> {
  const { manualClock = true, ...rest } = options;
  const clock = manualClock && !rest.timeScale ? manualDurableClock(EPOCH) : undefined;
  const stateDirectory = rest.stateDirectory ?? temporaryFolder();
  const logs: HostLogRecord[] = [];
  const host = await startLocalHost({
    entry: SAMPLE_APP_ENTRY,
    appRoot: sampleAppRoot(),
    port: 0,
    tlsDirectory: join(tmpdir(), 'courier-host-tests-tls'),
    ...(clock ? { clock } : {}),
    log: (record) => logs.push(record),
    timerPolicy: LONG_TIMERS_ALLOWED,
    ...rest,
    stateDirectory,
  });
  return {
    host,
    clock,
    stateDirectory,
    logs,
    call: (method, path, callOptions = {}) =>
      httpsCall(host, method, path, {
        ...(callOptions.body !== undefined
          ? {
              body:
                typeof callOptions.body === 'string'
                  ? callOptions.body
                  : JSON.stringify(callOptions.body),
            }
          : {}),
        headers: { 'content-type': 'application/json', ...callOptions.headers },
      }),
    waitFor: (instanceId, predicate, timeoutMs = 5_000) =>
      host.engine.waitFor(instanceId, predicate, timeoutMs),
    close: () => host.close(),
  };
}

export function isTerminal(record: InstanceRecord): boolean {
  return ['Completed', 'Failed', 'Terminated'].includes(record.runtimeStatus);
}

/** Activity calls the sample app made for an instance (or with a given activity name). */
export function calls(activity: string, predicate: (input: unknown) => boolean = () => true) {
  return journal().filter((e) => e.activity === activity && predicate(e.input));
}

/**
 * The host's mirror of the SDK's numbering agrees with the SDK itself: every task id the host
 * tracks as open is one durable-functions waits on, and every id the SDK still waits on that the
 * host does not track is a timer the orchestrator cancelled (the SDK never forgets those).
 */
export function expectHostMirrorsSdk(record: InstanceRecord): void {
  const runs = journal().filter(
    (e) => e.activity === '$orchestratorRun' && e.instanceId === record.instanceId,
  );
  expect(runs.length).toBeGreaterThan(0);
  const sdkOpen = new Set(runs.at(-1)!.input as number[]);
  const hostOpen = Object.keys(record.shim.open).map(Number);
  for (const id of hostOpen) expect(sdkOpen, `host task ${id}`).toContain(id);
  const timers = new Set(
    record.history
      .filter((e) => e.EventType === HistoryEventType.TimerCreated)
      .map((e) => e.EventId),
  );
  for (const id of sdkOpen) {
    if (!hostOpen.includes(id)) expect(timers, `SDK task ${id}`).toContain(id);
  }
}
