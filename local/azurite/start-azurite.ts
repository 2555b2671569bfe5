import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/** Azurite's well-known development account (public, documented, useless outside Azurite). */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
const ACCOUNT_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteOptions {
  /** Loopback port; 0 (the default) picks a free one. */
  port?: number;
  /**
   * Serve HTTPS with this certificate and key (the local CA's server certificate): clients then
   * trust the local CA, as for every other local server. Without it, plain HTTP on loopback,
   * which only tests use.
   */
  https?: { certFile: string; keyFile: string; caPem: string };
  /** Keep tables in this folder across restarts; default in memory, gone when stopped. */
  location?: string;
}

export interface Azurite {
  /** A storage connection string naming the table and queue services (no blob service). */
  connectionString: string;
  /** The table endpoint, e.g. https://127.0.0.1:53211/devstoreaccount1. */
  endpoint: string;
  port: number;
  /** The queue endpoint, e.g. https://127.0.0.1:53212/devstoreaccount1. */
  queueEndpoint: string;
  queuePort: number;
  /** Azurite's working folder: the given location, or a temporary one while in memory. */
  location: string;
  /** Stops Azurite (and removes its temporary folder when in memory). */
  stop(): Promise<void>;
}

const STARTUP_TIMEOUT_MS = 15_000;

/** The Azurite services the app uses: tables (its stores) and queues (notification delivery). */
type AzuriteService = 'table' | 'queue';

/**
 * Starts Azurite's table and queue services (the npm package, no Docker) as child processes on
 * loopback, with telemetry off (it reports to Microsoft otherwise). Resolves once both answer.
 * `port` is the table service's; the queue service takes a free one.
 */
export async function startAzurite(options: AzuriteOptions = {}): Promise<Azurite> {
  const temporary = options.location ? undefined : await mkdtemp(join(tmpdir(), 'azurite-'));
  const location = options.location ? resolve(options.location) : temporary!;
  if (options.location) await mkdir(location, { recursive: true, mode: 0o700 });
  const removeTemporary = async () => {
    if (temporary) await rm(temporary, { recursive: true, force: true });
  };
  const started = await Promise.allSettled([
    startService('table', location, options),
    startService('queue', location, { ...options, port: 0 }),
  ]);
  const [table, queue] = started;
  if (table.status === 'rejected' || queue.status === 'rejected') {
    await Promise.all(
      started.map((s) => (s.status === 'fulfilled' ? s.value.stop() : Promise.resolve())),
    );
    await removeTemporary();
    throw (
      table.status === 'rejected' ? table.reason : (queue as PromiseRejectedResult).reason
    ) as Error;
  }
  const scheme = options.https ? 'https' : 'http';
  const endpoint = `${scheme}://127.0.0.1:${table.value.port}/${AZURITE_ACCOUNT}`;
  const queueEndpoint = `${scheme}://127.0.0.1:${queue.value.port}/${AZURITE_ACCOUNT}`;
  return {
    connectionString: `DefaultEndpointsProtocol=${scheme};AccountName=${AZURITE_ACCOUNT};AccountKey=${ACCOUNT_KEY};TableEndpoint=${endpoint};QueueEndpoint=${queueEndpoint};`,
    endpoint,
    port: table.value.port,
    queueEndpoint,
    queuePort: queue.value.port,
    location,
    async stop() {
      await Promise.all([table.value.stop(), queue.value.stop()]);
      await removeTemporary();
    },
  };
}

/** One Azurite service as a child process, answering on its port. */
async function startService(
  service: AzuriteService,
  location: string,
  options: AzuriteOptions,
): Promise<{ port: number; stop(): Promise<void> }> {
  const script = await azuriteScript(service);
  let lastError: unknown;
  // A free port is found by binding and releasing it, so another process can take it in
  // between; Azurite then exits with EADDRINUSE and we try another.
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const port = options.port || (await freeLoopbackPort());
    const args = [
      script,
      '--disableTelemetry',
      '--skipApiVersionCheck',
      '--silent',
      `--${service}Host`,
      '127.0.0.1',
      `--${service}Port`,
      String(port),
      // --location cannot be combined with --inMemoryPersistence: in memory, the working folder
      // is a fresh temporary one instead, so nothing Azurite writes lands in the repository.
      ...(options.location ? ['--location', location] : ['--inMemoryPersistence']),
      ...(options.https ? ['--cert', options.https.certFile, '--key', options.https.keyFile] : []),
    ];
    const child = spawn(process.execPath, args, {
      cwd: location,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env },
    });
    const output: string[] = [];
    child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
    // If this process ends without stop() (a crash, a killed run), take Azurite with it.
    const orphanGuard = () => child.kill('SIGKILL');
    process.once('exit', orphanGuard);
    const stop = async () => {
      process.off('exit', orphanGuard);
      await stopChild(child);
    };
    try {
      await waitUntilAnswering(child, service, port, output, options.https?.caPem);
    } catch (error) {
      lastError = error;
      await stop();
      if (options.port) break;
      continue;
    }
    return { port, stop };
  }
  throw new Error(`Azurite's ${service} service did not start: ${String(lastError)}`, {
    cause: lastError,
  });
}

async function azuriteScript(service: AzuriteService): Promise<string> {
  const require = createRequire(import.meta.url);
  const manifestPath = require.resolve('azurite/package.json');
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as {
    bin: Record<string, string>;
  };
  const bin = manifest.bin[`azurite-${service}`];
  if (!bin) throw new Error(`the azurite package has no azurite-${service} program`);
  return join(dirname(manifestPath), bin);
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolvePort(address.port);
        else reject(new Error('no port was assigned'));
      });
    });
  });
}

async function waitUntilAnswering(
  child: ChildProcess,
  service: AzuriteService,
  port: number,
  output: string[],
  caPem: string | undefined,
): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  while (Date.now() < deadline) {
    if (exited) throw new Error(`Azurite exited at start: ${output.join('').trim()}`);
    if (await answers(service, port, caPem)) return;
    await new Promise((done) => setTimeout(done, 25));
  }
  throw new Error(
    `Azurite did not answer on port ${port} within ${STARTUP_TIMEOUT_MS} ms: ${output.join('').trim()}`,
  );
}

/** True once anything answers on the port (any status: the account path needs a signature). */
function answers(
  service: AzuriteService,
  port: number,
  caPem: string | undefined,
): Promise<boolean> {
  return new Promise((done) => {
    const options = {
      host: '127.0.0.1',
      port,
      path: service === 'table' ? `/${AZURITE_ACCOUNT}/Tables` : `/${AZURITE_ACCOUNT}?comp=list`,
      method: 'GET',
      timeout: 500,
    };
    const onResponse = (res: { resume(): void }) => {
      res.resume();
      done(true);
    };
    // Over HTTPS the check verifies the certificate against the local CA, like any client.
    const req = caPem
      ? httpsRequest({ ...options, ca: caPem }, onResponse)
      : httpRequest(options, onResponse);
    req.on('timeout', () => req.destroy());
    req.on('error', () => done(false));
    req.end();
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}
