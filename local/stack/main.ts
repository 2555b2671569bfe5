import { parseArgs } from 'node:util';
import { CourierError } from '../../core/courier-error.ts';
import type { HostLogRecord } from '../host/host-log.ts';
import { startLocalStack, type LocalStackOptions } from './start-local-stack.ts';
import { err, fail, out } from '../command-line-output.ts';

const USAGE = `npm run host -- [options]

Runs the functions app on the local stack, without Azure: the local Entra/Graph tenant, Azurite's
tables (HTTPS) and the local Functions + Durable host. Prints the app's URL, then the CA file to
trust, then what it serves.

  --port N          the app's HTTPS port (default 7071; 0 picks one)     COURIER_HOST_PORT
  --tenant-port N   the tenant's HTTPS port (default 8443; 0 picks one)  COURIER_TENANT_PORT
  --teams-port N    the local Teams page's port (default 7072)           COURIER_TEAMS_PORT
  --state-dir DIR   local state (default .courier)
  --time-scale F    durable time runs F times faster (3600: an hour a second)
  --ephemeral       keep nothing: tables and tenant in memory
  --env NAME=VALUE  an app setting for this run (repeatable), e.g. COURIER_REMINDER_HOURS=1
  --verbose         also print the app's debug logs
  --help`;

function port(text: string | undefined, name: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) > 65535)
    fail(`--${name} must be a TCP port, got "${text}".`);
  return Number(text);
}

async function main(): Promise<void> {
  let values;
  try {
    values = parseArgs({
      options: {
        port: { type: 'string' },
        'tenant-port': { type: 'string' },
        'teams-port': { type: 'string' },
        'state-dir': { type: 'string' },
        'time-scale': { type: 'string' },
        ephemeral: { type: 'boolean' },
        env: { type: 'string', multiple: true },
        verbose: { type: 'boolean' },
        help: { type: 'boolean' },
      },
    }).values;
  } catch (error) {
    fail(`${(error as Error).message}\n\n${USAGE}`);
  }
  if (values.help) {
    out(USAGE);
    return;
  }
  const verbose = values.verbose ?? false;
  const options: LocalStackOptions = {
    persistent: !values.ephemeral,
    log: (record) => printLog(record, verbose),
  };
  const appPort = port(values.port ?? process.env.COURIER_HOST_PORT, 'port');
  if (appPort !== undefined) options.port = appPort;
  const tenantPort = port(values['tenant-port'] ?? process.env.COURIER_TENANT_PORT, 'tenant-port');
  if (tenantPort !== undefined) options.tenantPort = tenantPort;
  options.teamsPort =
    port(values['teams-port'] ?? process.env.COURIER_TEAMS_PORT, 'teams-port') ?? 7072;
  if (values['state-dir']) options.stateDirectory = values['state-dir'];
  if (values['time-scale'] !== undefined) {
    const scale = Number(values['time-scale']);
    if (!(scale > 0))
      fail(`--time-scale must be a positive number, got "${values['time-scale']}".`);
    options.timeScale = scale;
  }
  const settings: Record<string, string> = {};
  for (const pair of values.env ?? []) {
    const at = pair.indexOf('=');
    if (at <= 0) fail(`--env takes NAME=VALUE, got "${pair}".`);
    settings[pair.slice(0, at)] = pair.slice(at + 1);
  }
  options.settings = settings;

  let stack: Awaited<ReturnType<typeof startLocalStack>>;
  try {
    stack = await startLocalStack(options);
  } catch (error) {
    if (error instanceof CourierError) fail(error.message);
    throw error;
  }
  const { host, tenant } = stack;
  out(host.url);
  out(host.caFile);
  err(
    `Passkey Courier functions app on ${host.url} (Durable: local host store, hub ${host.durable.hubName})`,
  );
  err(`Entra ID and Graph: local tenant ${tenant.tenantId} at ${tenant.url}`);
  err(`Tables: Azurite at ${stack.azurite.endpoint}`);
  err(
    `Teams (local): ${stack.teams.url} (chat with the bot as a persona; the tab at ${stack.teams.tabUrl})`,
  );
  err('Routes:');
  for (const route of host.routes) err(`  ${route.methods.join(',').padEnd(9)} ${route.url}`);
  const orchestrations = host.functions
    .filter((f) => f.kind === 'orchestration')
    .map((f) => f.name);
  const activities = host.functions.filter((f) => f.kind === 'activity').map((f) => f.name);
  err(`Orchestrations: ${orchestrations.join(', ')}`);
  err(`Activities: ${activities.join(', ')}`);
  const timers = host.functions.filter((f) => f.kind === 'timer').map((f) => f.name);
  err(`Timer triggers (wall-clock time): ${timers.join(', ')}`);
  const queues = host.functions.filter((f) => f.kind === 'queue').map((f) => f.name);
  err(`Queue triggers (Azurite's queue service): ${queues.join(', ')}`);
  err(`Trust the local CA: NODE_EXTRA_CA_CERTS=${host.caFile}. Stop with Ctrl+C.`);
  const stop = () => {
    void stack.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

function printLog(record: HostLogRecord, verbose: boolean): void {
  if (record.level === 'debug' && !verbose) return;
  const where = [record.functionName, record.instanceId].filter(Boolean).join(' ');
  err(`${record.level.padEnd(5)} ${where ? `[${where}] ` : ''}${record.message}`);
}

await main();
