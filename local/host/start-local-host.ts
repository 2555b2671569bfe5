import { existsSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Server } from 'node:net';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureLocalTls } from '../tls/ensure-local-tls.ts';
import { scaledClock, type DurableClock } from './durable/durable-clock.ts';
import { durableClientInput, type DurableEndpoints } from './durable/durable-client-input.ts';
import { DurableEngine } from './durable/durable-engine.ts';
import { DurableHttpApi } from './durable/durable-http-api.ts';
import type { TimerPolicy } from './durable/orchestration-episode.ts';
import {
  RPC_BASE_PATH,
  WEBHOOK_BASE_PATH,
  serveDurableApi,
  writeDurableApiResponse,
} from './durable/serve-durable-api.ts';
import { discardLog, hostLogLevel, type HostLog } from './host-log.ts';
import { HttpRouteTable } from './http/http-route-table.ts';
import { serveHttpTrigger } from './http/serve-http-trigger.ts';
import { installFunctionsCoreSeam } from './install-functions-core-seam.ts';
import { runHooks } from './invoke-function.ts';
import { loadFunctionApp, type FunctionApp } from './load-function-app.ts';
import { LocalHostError } from './local-host-error.ts';
import { startQueueTriggers, type QueueTriggers } from './queue/run-queue-triggers.ts';
import { runTimerTriggers, type TimerTriggers } from './timer/run-timer-triggers.ts';
import { readAppConfig, type AppConfig, type DurableBackend } from './read-app-config.ts';
import type { FunctionKind } from './registered-function.ts';

/** `.courier/host/` at the repository root: the default state folder. */
export const DEFAULT_STATE_DIRECTORY = fileURLToPath(
  new URL('../../.courier/host/', import.meta.url),
);

export interface LocalHostOptions {
  /** The app's registration entry point (the module package.json "main" names). */
  entry: string;
  /** The folder with host.json; default: the nearest folder above the entry that has one. */
  appRoot?: string;
  /** HTTPS port on the loopback interface; 0 picks a free one. Default: local.settings.json's
   * Host.LocalHttpPort, else 7071 like Core Tools. */
  port?: number;
  /** Port of the durable client's loopback RPC endpoint; default 0 (any free port). */
  rpcPort?: number;
  /** Where instances are kept (one sub-folder per task hub); default `.courier/host/`. */
  stateDirectory?: string;
  /** The local CA and certificate folder; default `.courier/tls/` (see local/tls). */
  tlsDirectory?: string;
  /** Durable time runs this many times faster than real time (3600: an hour per second). */
  timeScale?: number;
  /** A clock for durable time (tests pass a manual one); overrides `timeScale`. */
  clock?: DurableClock;
  /** App settings for this run; they win over the environment and local.settings.json. */
  env?: Record<string, string>;
  maxConcurrentActivities?: number;
  maxConcurrentOrchestrations?: number;
  /** Long-timer limits; default those of the Azure Storage backend (6 days, legs of 3 days). */
  timerPolicy?: TimerPolicy;
  log?: HostLog;
}

export interface LocalHostRoute {
  functionName: string;
  methods: string[];
  path: string;
  authLevel: string;
  url: string;
}

export interface LocalHost {
  /** "https://localhost:PORT". */
  url: string;
  port: number;
  caFile: string;
  caPem: string;
  /** The durable client's rpcBaseUrl (plain HTTP on 127.0.0.1, as the real host's local RPC). */
  durableClientUrl: string;
  /** The public Durable HTTP API: ".../runtime/webhooks/durabletask". */
  webhookUrl: string;
  routes: LocalHostRoute[];
  functions: { name: string; kind: FunctionKind; trigger: string }[];
  /** What the app's configuration selects; locally the host's own store is always used. */
  durable: { hubName: string; backend: DurableBackend; connectionName: string };
  stateDirectory: string;
  engine: DurableEngine;
  close(): Promise<void>;
}

const DAY = 86_400_000;

/**
 * Azure Storage's timer limits as the SDK is told them, and no timer past 3 days: the local host
 * fails an orchestration that creates one, so an app that depends on long timers fails here.
 */
export const DEFAULT_TIMER_POLICY: TimerPolicy = {
  maximumShortTimerMs: 6 * DAY,
  longRunningTimerIntervalMs: 3 * DAY,
  maximumTimerMs: 3 * DAY,
};

/**
 * Starts the local Azure Functions + Durable Functions host for an app written against the v4
 * programming model: captures its registrations through the `@azure/functions-core` seam, serves
 * its HTTP triggers on one HTTPS port (certificate from the local CA), runs orchestrations through
 * durable-functions' own orchestrator handler and activities through their handlers, and serves
 * the Durable HTTP API so `df.getClient(context)` works unchanged.
 */
export async function startLocalHost(options: LocalHostOptions): Promise<LocalHost> {
  const log = options.log ?? discardLog;
  const entry = resolve(options.entry);
  if (!existsSync(entry)) {
    throw new LocalHostError('OPTION_INVALID', `The entry module ${entry} does not exist.`);
  }
  const appRoot = resolve(options.appRoot ?? findAppRoot(entry));
  const environment = { ...process.env, ...options.env };
  const config = await readAppConfig(appRoot, environment);
  const port = checkPort(options.port ?? config.localHttpPort ?? 7071, 'port');
  const rpcPort = checkPort(options.rpcPort ?? 0, 'rpcPort');
  const timeScale = options.timeScale ?? 1;
  if (!(timeScale > 0) || !Number.isFinite(timeScale)) {
    throw new LocalHostError(
      'OPTION_INVALID',
      `timeScale must be a positive number, got ${timeScale}.`,
    );
  }
  const concurrency = 10 * availableParallelism();
  const maxActivities = positive(
    options.maxConcurrentActivities ?? config.maxConcurrentActivityFunctions ?? concurrency,
    'maxConcurrentActivities',
  );
  const maxOrchestrations = positive(
    options.maxConcurrentOrchestrations ?? config.maxConcurrentOrchestratorFunctions ?? concurrency,
    'maxConcurrentOrchestrations',
  );
  const tls = await ensureLocalTls(
    options.tlsDirectory === undefined ? {} : { directory: options.tlsDirectory },
  );

  // Requests are answered 503 until the app is loaded; the port must exist first because the
  // app's environment (WEBSITE_HOSTNAME) and the durable client binding name it.
  const state: { serve?: (incoming: IncomingMessage, outgoing: ServerResponse) => Promise<void> } =
    {};
  const handler = (incoming: IncomingMessage, outgoing: ServerResponse) => {
    const serve = state.serve;
    if (!serve) {
      outgoing.writeHead(503, { 'Retry-After': '1' }).end();
      return;
    }
    serve(incoming, outgoing).catch((error: unknown) => {
      log({
        level: 'error',
        category: 'host',
        message: 'The host failed to answer a request.',
        error,
      });
      if (!outgoing.headersSent) outgoing.writeHead(500).end();
      else outgoing.destroy();
    });
  };
  const servers: Server[] = [];
  const tlsOptions = { cert: tls.certificatePem, key: tls.privateKeyPem };
  const primary = createHttpsServer(tlsOptions, handler);
  await listen(primary, port, '127.0.0.1');
  servers.push(primary);
  const actualPort = (primary.address() as AddressInfo).port;
  // Also on ::1, so "localhost" works whichever address a client resolves first.
  const secondary = createHttpsServer(tlsOptions, handler);
  await listen(secondary, actualPort, '::1').then(
    () => servers.push(secondary),
    () => undefined,
  );
  const rpcState: { api?: DurableHttpApi } = {};
  const rpcServer = createHttpServer((incoming, outgoing) => {
    const api = rpcState.api;
    if (!api) {
      outgoing.writeHead(503).end();
      return;
    }
    serveDurableApi(api, incoming, outgoing, RPC_BASE_PATH).catch((error: unknown) => {
      log({ level: 'error', category: 'host', message: 'The durable RPC endpoint failed.', error });
      if (!outgoing.headersSent) outgoing.writeHead(500).end();
    });
  });
  await listen(rpcServer, rpcPort, '127.0.0.1');
  servers.push(rpcServer);
  const closeServers = () =>
    Promise.all(
      servers.map(
        (server) =>
          new Promise<void>((done) => {
            server.close(() => done());
            (server as Server & { closeAllConnections?: () => void }).closeAllConnections?.();
          }),
      ),
    );

  const url = `https://localhost:${actualPort}`;
  const endpoints: DurableEndpoints = {
    webhookBaseUrl: `${url}${WEBHOOK_BASE_PATH}`,
    rpcBaseUrl: `http://127.0.0.1:${(rpcServer.address() as AddressInfo).port}${RPC_BASE_PATH}/`,
    hubName: config.hubName,
    connectionName: config.connectionName,
  };
  const restoreEnvironment = applyEnvironment(config, options.env ?? {}, actualPort, appRoot);
  const clientInput = JSON.stringify(durableClientInput(endpoints));

  let app: FunctionApp;
  let routes: HttpRouteTable;
  let engine: DurableEngine;
  const stateDirectory = resolve(options.stateDirectory ?? DEFAULT_STATE_DIRECTORY);
  try {
    installFunctionsCoreSeam().setLogSink((level, category, message) =>
      log({
        level: hostLogLevel(level),
        category: category === 'user' ? 'user' : 'system',
        message,
      }),
    );
    app = await loadFunctionApp(entry);
    await refuseHttpStreaming(app);
    routes = new HttpRouteTable(app.functions, config.routePrefix);
    for (const fn of app.functions) {
      if (fn.kind === 'other') {
        log({
          level: 'warn',
          category: 'host',
          message: `${fn.name} (${fn.triggerType}) is registered but the local host does not run that trigger.`,
          functionName: fn.name,
        });
      }
      if (fn.unsupportedInputs.length) {
        log({
          level: 'warn',
          category: 'host',
          message: `${fn.name} has inputs the local host leaves empty: ${fn.unsupportedInputs.join(', ')}.`,
          functionName: fn.name,
        });
      }
    }
    engine = new DurableEngine({
      app,
      stateDirectory: join(stateDirectory, config.hubName),
      clock: (notBefore) => options.clock ?? scaledClock(timeScale, notBefore),
      timerPolicy: options.timerPolicy ?? DEFAULT_TIMER_POLICY,
      maxConcurrentActivities: maxActivities,
      maxConcurrentOrchestrations: maxOrchestrations,
      replaceRunningInstances: config.replaceRunningInstances,
      defaultVersion: config.defaultVersion,
      durableClientInput: clientInput,
      log,
    });
    // As in the worker, appStart hooks run before any function does (resumed instances included).
    await runHooks(app, 'appStart', {
      hookData: {},
      appHookData: app.appHookData,
      functionAppDirectory: appRoot,
    });
    await engine.start();
  } catch (error) {
    await closeServers();
    restoreEnvironment();
    throw error;
  }

  let timerTriggers: TimerTriggers | undefined;
  let queueTriggers: QueueTriggers;
  try {
    timerTriggers = runTimerTriggers({
      app,
      durableClientInput: clientInput,
      settings: (name) => process.env[name],
      log,
    });
    queueTriggers = await startQueueTriggers({
      app,
      durableClientInput: clientInput,
      settings: { ...process.env },
      options: config.queues,
      caPem: tls.caPem,
      log,
    });
  } catch (error) {
    timerTriggers?.stop();
    await engine.close();
    await closeServers();
    restoreEnvironment();
    throw error;
  }
  const api = new DurableHttpApi(engine, endpoints);
  rpcState.api = api;
  const trigger = { app, origin: url, durableClientInput: clientInput, log };
  state.serve = async (incoming, outgoing) => {
    const path = new URL(incoming.url ?? '/', url).pathname;
    if (path.toLowerCase().startsWith(`${WEBHOOK_BASE_PATH}/`)) {
      await serveDurableApi(api, incoming, outgoing, WEBHOOK_BASE_PATH);
    } else if (path.toLowerCase() === '/admin/host/status') {
      writeDurableApiResponse(outgoing, { status: 200, body: { state: 'Running' } });
    } else {
      const matched = routes.match(incoming.method ?? 'GET', path);
      if (matched) await serveHttpTrigger(trigger, matched, incoming, outgoing);
      else outgoing.writeHead(404, { 'Content-Length': '0' }).end();
    }
  };

  let closing: Promise<void> | undefined;
  return {
    url,
    port: actualPort,
    caFile: tls.caFile,
    caPem: tls.caPem,
    durableClientUrl: endpoints.rpcBaseUrl,
    webhookUrl: endpoints.webhookBaseUrl,
    routes: routes.routes.map((route) => ({
      functionName: route.fn.name,
      methods: route.methods,
      path: route.path,
      authLevel: route.authLevel,
      url: `${url}${route.path}`,
    })),
    functions: app.functions.map((fn) => ({
      name: fn.name,
      kind: fn.kind,
      trigger: fn.triggerType,
    })),
    durable: {
      hubName: config.hubName,
      backend: config.backend,
      connectionName: config.connectionName,
    },
    stateDirectory: join(stateDirectory, config.hubName),
    engine,
    close() {
      closing ??= (async () => {
        state.serve = undefined;
        rpcState.api = undefined;
        timerTriggers?.stop();
        await queueTriggers.stop();
        await closeServers();
        await engine.close();
        await runHooks(app, 'appTerminate', { hookData: {}, appHookData: app.appHookData }).catch(
          (error: unknown) =>
            log({
              level: 'warn',
              category: 'host',
              message: 'An appTerminate hook failed.',
              error,
            }),
        );
        restoreEnvironment();
      })();
      return closing;
    },
  };
}

/**
 * App settings the way Core Tools provides them: local.settings.json values for names the
 * environment does not already set, this run's `env` over both, and the host's own variables
 * (WEBSITE_HOSTNAME is what durable-functions uses to build management URLs). Returns an undo.
 */
function applyEnvironment(
  config: AppConfig,
  env: Record<string, string>,
  port: number,
  appRoot: string,
): () => void {
  const previous = new Map<string, string | undefined>();
  const set = (name: string, value: string) => {
    if (!previous.has(name)) previous.set(name, process.env[name]);
    process.env[name] = value;
  };
  for (const [name, value] of Object.entries(config.settings)) {
    if (process.env[name] === undefined) set(name, value);
  }
  for (const [name, value] of Object.entries(env)) set(name, value);
  if (env.WEBSITE_HOSTNAME === undefined) set('WEBSITE_HOSTNAME', `localhost:${port}`);
  if (process.env.FUNCTIONS_WORKER_RUNTIME === undefined) set('FUNCTIONS_WORKER_RUNTIME', 'node');
  if (process.env.AzureWebJobsScriptRoot === undefined) set('AzureWebJobsScriptRoot', appRoot);
  return () => {
    for (const [name, value] of previous) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}

/** HTTP streaming makes the library run its own proxy server, which this host does not drive. */
async function refuseHttpStreaming(app: FunctionApp): Promise<void> {
  const capabilities = (await app.programmingModel.getCapabilities?.({})) ?? {};
  if (capabilities.HttpUri) {
    throw new LocalHostError(
      'UNSUPPORTED',
      'The app enables HTTP streaming (app.setup({ enableHttpStream: true })), which the local host does not support.',
    );
  }
}

function findAppRoot(entry: string): string {
  for (let folder = dirname(entry); ; folder = dirname(folder)) {
    if (existsSync(join(folder, 'host.json'))) return folder;
    if (dirname(folder) === folder) {
      throw new LocalHostError(
        'APP_CONFIG_INVALID',
        `No host.json in any folder above ${entry}; pass appRoot.`,
      );
    }
  }
}

function checkPort(port: number, name: string): number {
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new LocalHostError('OPTION_INVALID', `${name} ${port} is not a TCP port.`);
  }
  return port;
}

function positive(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new LocalHostError('OPTION_INVALID', `${name} must be a positive integer, got ${value}.`);
  }
  return value;
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((done, fail) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      fail(
        error.code === 'EADDRINUSE'
          ? new LocalHostError(
              'OPTION_INVALID',
              `Port ${port} on ${host} is in use; choose another (0 picks a free one).`,
              { cause: error },
            )
          : error,
      ),
    );
    server.listen(port, host, () => {
      server.removeAllListeners('error');
      done();
    });
  });
}
