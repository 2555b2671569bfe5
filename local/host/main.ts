import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import type { HostLogRecord } from './host-log.ts';
import { CourierError } from '../../core/courier-error.ts';
import {
  DEFAULT_TIMER_POLICY,
  startLocalHost,
  type LocalHost,
  type LocalHostOptions,
} from './start-local-host.ts';
import { err, fail, out } from '../command-line-output.ts';

const USAGE = `node --import tsx local/host/main.ts ENTRY [options]

Runs an Azure Functions app (v4 programming model, durable-functions 3) without Core Tools:
HTTP triggers on one HTTPS port, orchestrations, activities, durable timers and the Durable
client API. ENTRY is the app's registration entry point (package.json "main").
Prints the root URL, then the CA file to trust, then what it serves.

  --port N           HTTPS port on loopback (default: local.settings.json, else 7071) COURIER_HOST_PORT
  --rpc-port N       the durable client's loopback RPC port (default: any free one)
  --state-dir DIR    where instances are kept (default .courier/host)          COURIER_HOST_STATE_DIR
  --tls-dir DIR      local CA and certificate folder (default .courier/tls)
  --time-scale F     durable time runs F times faster (3600: an hour a second) COURIER_HOST_TIME_SCALE
  --app-root DIR     the folder with host.json (default: found above ENTRY)
  --env NAME=VALUE   an app setting for this run (repeatable)
  --allow-long-timers  run timers past 3 days as legs (by default they fail the orchestration)
  --verbose          also print debug logs
  --help`;

function parse() {
  return parseArgs({
    allowPositionals: true,
    options: {
      port: { type: 'string' },
      'rpc-port': { type: 'string' },
      'state-dir': { type: 'string' },
      'tls-dir': { type: 'string' },
      'time-scale': { type: 'string' },
      'app-root': { type: 'string' },
      env: { type: 'string', multiple: true },
      'allow-long-timers': { type: 'boolean' },
      verbose: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
}

function portOption(text: string | undefined, name: string): number | undefined {
  if (text === undefined) return undefined;
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) fail(`--${name} must be a TCP port, got "${text}".`);
  return port;
}

async function main(): Promise<void> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse();
  } catch (error) {
    fail(`${(error as Error).message}\n\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    out(USAGE);
    return;
  }
  const entry = positionals[0];
  if (!entry || positionals.length > 1) fail(`Give exactly one entry module.\n\n${USAGE}`);

  const verbose = values.verbose ?? false;
  const options: LocalHostOptions = { entry, log: (record) => printLog(record, verbose) };
  const port = portOption(values.port ?? process.env.COURIER_HOST_PORT, 'port');
  if (port !== undefined) options.port = port;
  const rpcPort = portOption(values['rpc-port'], 'rpc-port');
  if (rpcPort !== undefined) options.rpcPort = rpcPort;
  const stateDirectory = values['state-dir'] ?? process.env.COURIER_HOST_STATE_DIR;
  if (stateDirectory) options.stateDirectory = stateDirectory;
  if (values['tls-dir']) options.tlsDirectory = values['tls-dir'];
  if (values['app-root']) options.appRoot = values['app-root'];
  if (values['allow-long-timers']) {
    const { maximumTimerMs: _refused, ...legs } = DEFAULT_TIMER_POLICY;
    options.timerPolicy = legs;
  }
  const scaleText = values['time-scale'] ?? process.env.COURIER_HOST_TIME_SCALE;
  if (scaleText !== undefined) {
    const scale = Number(scaleText);
    if (!(scale > 0) || !Number.isFinite(scale)) {
      fail(`--time-scale must be a positive number, got "${scaleText}".`);
    }
    options.timeScale = scale;
  }
  if (values.env?.length) {
    options.env = {};
    for (const pair of values.env) {
      const at = pair.indexOf('=');
      if (at <= 0) fail(`--env takes NAME=VALUE, got "${pair}".`);
      options.env[pair.slice(0, at)] = pair.slice(at + 1);
    }
  }

  let host: LocalHost;
  try {
    host = await startLocalHost(options);
  } catch (error) {
    // The host's errors and the local CA's (local/tls) carry a code and an actionable message.
    if (error instanceof CourierError) fail(`${error.code}: ${error.message}`);
    throw error;
  }
  // The two lines scripts read: the root URL, then the CA file to trust.
  out(host.url);
  out(host.caFile);
  describe(host, entry, options.timeScale ?? 1).forEach(out);

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void host.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

const BACKENDS = {
  azureStorage: 'Azure Storage',
  durableTaskScheduler: 'the Durable Task Scheduler',
  mssql: 'Microsoft SQL',
  netherite: 'Netherite',
} as const;

function describe(host: LocalHost, entry: string, timeScale: number): string[] {
  const lines = [
    `Functions app ${relative(process.cwd(), entry) || entry}:`,
    ...[...host.routes]
      .sort((a, b) => a.path.localeCompare(b.path))
      .map(
        (r) =>
          `  ${r.functionName}: [${r.methods.length ? r.methods.join(',') : 'any'}] ${r.url}${r.authLevel === 'anonymous' ? '' : ` (authLevel ${r.authLevel}, not enforced locally)`}`,
      ),
    ...host.functions
      .filter((f) => f.kind !== 'http')
      .map((f) => `  ${f.name}: ${f.kind === 'other' ? `${f.trigger} (not run locally)` : f.kind}`),
    `Durable: task hub ${host.durable.hubName}; host.json selects ${BACKENDS[host.durable.backend]} (connection ${host.durable.connectionName}); this host keeps instances in ${host.stateDirectory}.`,
    `Durable client API: ${host.durableClientUrl} (webhooks: ${host.webhookUrl}).`,
  ];
  if (timeScale !== 1) lines.push(`Durable time runs ${timeScale} times faster than real time.`);
  return lines;
}

function printLog(record: HostLogRecord, verbose: boolean): void {
  if (record.level === 'debug' && !verbose) return;
  const where = [record.functionName, record.instanceId].filter(Boolean).join(' ');
  const detail =
    record.error === undefined
      ? ''
      : `\n${record.error instanceof Error ? (record.error.stack ?? record.error.message) : JSON.stringify(record.error)}`;
  err(`[${record.level}] ${where ? `${where}: ` : ''}${record.message}${detail}`);
}

main().catch((error: unknown) => {
  err(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
