import { randomUUID } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { ensureLocalTls } from '../tls/ensure-local-tls.ts';
import { systemClock, type Clock } from './clock.ts';
import type { FaultSettings } from './controls/fault-plan.ts';
import type { TenantControls } from './controls/tenant-controls.ts';
import type { ThrottleSettings } from './controls/token-bucket.ts';
import type { Directory } from './directory.ts';
import { chooseMethodIdForm, type MethodIdForm } from './graph/method-id.ts';
import type { TenantRequest, TenantResponse } from './http/tenant-request.ts';
import { LocalTenantError } from './local-tenant-error.ts';
import { loadTenantSeed, parseTenantSeed } from './seed/load-tenant-seed.ts';
import type { TenantSeed } from './seed/tenant-seed.ts';
import {
  createTenantKeys,
  exportTenantKeys,
  importTenantKeys,
  type StoredTenantKeys,
} from './tenant-keys.ts';
import { MetadataService } from './mds/metadata-service.ts';
import { METADATA_SEGMENT, TenantRuntime } from './tenant-runtime.ts';
import type { TenantStateSnapshot } from './tenant-state.ts';

export interface LocalTenantOptions {
  /** TCP port on the loopback interface; 0 picks a free one (tests). Default 0. */
  port?: number;
  /** Where the local CA and server certificate live; default `.courier/tls/` at the repository root. */
  tlsDirectory?: string;
  /** A seed file path or an already-parsed seed; default the demo organisation. */
  seed?: string | TenantSeed;
  /** A persona of the seed that signs in with no browser and no input (device code, /authorize). */
  persona?: string;
  /** The tenant's clock (tests inject one); TLS certificates always use real time. */
  now?: Clock;
  /** Keep passkeys, installations, policy and keys in this file (mode 0600); default: memory only. */
  stateFile?: string;
  /** The WebAuthn RP id of Entra's options; default login.microsoft.com. */
  rpId?: string;
  accessTokenLifetimeSeconds?: number;
  deviceCodeLifetimeSeconds?: number;
  /** How often clients should poll for a device code; Entra says 5 s. */
  deviceCodeIntervalSeconds?: number;
  /** Serve the test controls under /_courier/tenant (default true). */
  controls?: boolean;
  throttle?: ThrottleSettings;
  faults?: FaultSettings;
  /**
   * The form of fido2Method ids: credential-id-based or GUID. Graph documents neither; default:
   * one picked at random for this run, so clients cannot come to depend on it.
   */
  methodIds?: MethodIdForm;
  /** Unexpected errors inside the tenant (answered 500); the CLI logs them. */
  onError?: (error: unknown) => void;
}

export interface LocalTenant {
  /** The root URL, e.g. https://localhost:8443: authorityHost for @azure/identity. */
  url: string;
  port: number;
  tenantId: string;
  /** The form of fido2Method ids this run issues. */
  methodIdForm: MethodIdForm;
  /** Its FIDO Metadata Service: the MDS3 BLOB's URL and the root that signs it (also as a file). */
  metadata: { url: string; rootPem: string; rootFile: string };
  /** `${url}/${tenantId}`: the authority. */
  authority: string;
  /** `${url}/v1.0` and `${url}/beta`. */
  graphUrl: { v1: string; beta: string };
  caFile: string;
  caPem: string;
  /** The addresses the server listens on: loopback only (127.0.0.1, and ::1 where it exists). */
  addresses: string[];
  directory: Directory;
  /** Client ids by application key (functions, station, …) and the seed's local client secrets. */
  applications: Record<string, { clientId: string; clientSecret: string | undefined }>;
  controls: TenantControls;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Starts the local Entra/Graph tenant: one HTTPS server on the loopback interface, its certificate
 * from the local CA (created on first start), serving Entra on its own paths under the tenant id,
 * Graph at /v1.0 and /beta, and the test controls at /_courier/tenant.
 */
export async function startLocalTenant(options: LocalTenantOptions = {}): Promise<LocalTenant> {
  const clock = options.now ?? systemClock;
  const seed =
    options.seed === undefined || typeof options.seed === 'string'
      ? await loadTenantSeed(options.seed)
      : parseTenantSeed(options.seed);
  if (options.persona !== undefined && !(options.persona in seed.personas)) {
    throw new LocalTenantError(
      'CONFIGURATION_INVALID',
      `No persona named "${options.persona}"; the seed has ${Object.keys(seed.personas).join(', ')}.`,
    );
  }
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new LocalTenantError('CONFIGURATION_INVALID', `Port ${port} is not a TCP port.`);
  }
  const tls = await ensureLocalTls(
    options.tlsDirectory === undefined ? {} : { directory: options.tlsDirectory },
  );
  const stored = options.stateFile ? await readStateFile(options.stateFile) : undefined;
  const keys = stored
    ? importTenantKeys(stored.keys)
    : await createTenantKeys(seed.tenant.id, new Date(clock()));
  const persistence = options.stateFile
    ? new StateFileWriter(options.stateFile, exportTenantKeys(keys), (error) =>
        options.onError?.(error),
      )
    : undefined;

  // The runtime needs the root URL, which needs the port: it is made once the server listens.
  const ready: { runtime?: TenantRuntime } = {};
  const handler = (incoming: IncomingMessage, outgoing: ServerResponse) => {
    const ids = requestIds(incoming);
    void serve(incoming, outgoing, ready.runtime!, clock, ids).catch((error: unknown) => {
      options.onError?.(error);
      if (!outgoing.headersSent) {
        outgoing.writeHead(500, { ...ids, 'content-type': 'application/json; charset=utf-8' });
        outgoing.end(
          JSON.stringify({
            error: { code: 'generalException', message: 'The local tenant failed; see its log.' },
          }),
        );
      } else outgoing.destroy();
    });
  };
  const servers: Server[] = [];
  const primary = createServer({ cert: tls.certificatePem, key: tls.privateKeyPem }, handler);
  await listen(primary, port, '127.0.0.1');
  servers.push(primary);
  const actualPort = (primary.address() as AddressInfo).port;
  // Also on ::1, so "localhost" works whichever address a client resolves first.
  const secondary = createServer({ cert: tls.certificatePem, key: tls.privateKeyPem }, handler);
  await listen(secondary, actualPort, '::1').then(
    () => servers.push(secondary),
    () => undefined,
  );
  const url = `https://localhost:${actualPort}`;
  const methodIdForm = chooseMethodIdForm(options.methodIds);
  const metadata = await MetadataService.create(seed, new Date(clock()), url);
  // The metadata root for clients that read it from a file (FIDO_METADATA_ROOT_FILE), one per port.
  const metadataRootFile = join(dirname(tls.caFile), `fido-metadata-root-${actualPort}.pem`);
  await writeFile(metadataRootFile, metadata.rootPem);
  const runtime = new TenantRuntime({
    root: url,
    metadata,
    methodIdForm,
    seed,
    keys,
    clock,
    rpId: options.rpId ?? 'login.microsoft.com',
    persona: options.persona,
    accessTokenLifetimeSeconds: options.accessTokenLifetimeSeconds ?? 3600,
    deviceCodeLifetimeSeconds: options.deviceCodeLifetimeSeconds ?? 900,
    deviceCodeIntervalSeconds: options.deviceCodeIntervalSeconds ?? 5,
    controls: options.controls ?? true,
    throttle: options.throttle,
    faults: options.faults,
    snapshot: stored?.state,
    onChange: (snapshot) => persistence?.schedule(snapshot),
  });
  ready.runtime = runtime;
  persistence?.schedule(stateOf(runtime));
  const tenantId = runtime.directory.tenantId;
  return {
    url,
    port: actualPort,
    tenantId,
    methodIdForm,
    metadata: {
      url: `${url}/${METADATA_SEGMENT}`,
      rootPem: metadata.rootPem,
      rootFile: metadataRootFile,
    },
    authority: `${url}/${tenantId}`,
    graphUrl: { v1: `${url}/v1.0`, beta: `${url}/beta` },
    caFile: tls.caFile,
    caPem: tls.caPem,
    addresses: servers.map((server) => (server.address() as AddressInfo).address),
    directory: runtime.directory,
    applications: Object.fromEntries(
      seed.applications.map((a) => [
        a.key,
        { clientId: a.clientId, clientSecret: a.clientSecrets[0] },
      ]),
    ),
    controls: runtime.controls,
    async close() {
      await Promise.all(
        servers.map(
          (server) =>
            new Promise<void>((resolve) => {
              server.close(() => resolve());
              server.closeAllConnections();
            }),
        ),
      );
      await persistence?.flush();
    },
  };
}

function stateOf(runtime: TenantRuntime): TenantStateSnapshot {
  const inspection = runtime.controls.inspect();
  return {
    methods: inspection.methods,
    installations: inspection.installations,
    policy: inspection.policy,
  };
}

/** request-id (ours) and client-request-id (the client's, echoed, or ours) on every response. */
function requestIds(
  incoming: IncomingMessage,
): Record<'request-id' | 'client-request-id' | 'x-ms-request-id', string> {
  const requestId = randomUUID();
  const given = incoming.headers['client-request-id'];
  const clientRequestId = (Array.isArray(given) ? given[0] : given) || requestId;
  return {
    'request-id': requestId,
    'client-request-id': clientRequestId,
    'x-ms-request-id': requestId,
  };
}

async function serve(
  incoming: IncomingMessage,
  outgoing: ServerResponse,
  runtime: TenantRuntime,
  clock: Clock,
  idHeaders: ReturnType<typeof requestIds>,
): Promise<void> {
  const requestId = idHeaders['request-id'];
  const clientRequestId = idHeaders['client-request-id'];
  const body = await readBody(incoming);
  if (body === undefined) {
    outgoing.writeHead(413, {
      ...idHeaders,
      'content-type': 'application/json; charset=utf-8',
      connection: 'close',
    });
    outgoing.end(
      JSON.stringify({
        error: {
          code: 'RequestEntityTooLarge',
          message: `Bodies are limited to ${MAX_BODY_BYTES} bytes.`,
        },
      }),
    );
    return;
  }
  const url = new URL(incoming.url ?? '/', 'https://localhost');
  let segments: string[];
  try {
    segments = url.pathname
      .split('/')
      .filter((s) => s.length > 0)
      .map((s) => decodeURIComponent(s));
  } catch {
    outgoing.writeHead(400, { ...idHeaders, 'content-type': 'application/json; charset=utf-8' });
    outgoing.end(
      JSON.stringify({
        error: { code: 'BadRequest', message: 'The URL is not validly percent-encoded.' },
      }),
    );
    return;
  }
  const request: TenantRequest = {
    method: incoming.method ?? 'GET',
    url,
    segments,
    headers: incoming.headers,
    body,
    remoteAddress: incoming.socket.remoteAddress ?? '',
    requestId,
    clientRequestId,
    receivedAt: clock(),
  };
  const response: TenantResponse = await runtime.handle(request);
  if (response.resetConnection) {
    incoming.socket.destroy();
    return;
  }
  const headers: Record<string, string> = { ...idHeaders, ...response.headers };
  let payload: string | Buffer | undefined;
  if (response.bytes !== undefined) payload = response.bytes;
  else if (response.text !== undefined) payload = response.text;
  else if (response.json !== undefined) {
    payload = JSON.stringify(response.json);
    headers['content-type'] ??= 'application/json; charset=utf-8';
  }
  outgoing.writeHead(response.status, headers);
  outgoing.end(payload);
}

function readBody(incoming: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    incoming.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    incoming.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
    incoming.on('error', reject);
  });
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

interface StateFile {
  version: 1;
  keys: StoredTenantKeys;
  state: TenantStateSnapshot;
}

async function readStateFile(path: string): Promise<StateFile | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as StateFile;
    if (parsed.version !== 1 || !parsed.keys || !parsed.state) throw new Error('unknown layout');
    return parsed;
  } catch (cause) {
    throw new LocalTenantError(
      'CONFIGURATION_INVALID',
      `The tenant state file ${path} cannot be read (${(cause as Error).message}); delete it to start from the seed.`,
      { cause },
    );
  }
}

/**
 * Writes the state file at most every 200 ms (a bulk run registers hundreds of keys), atomically
 * (temporary file, then rename) and readable by its owner only: it holds the tenant's keys.
 */
class StateFileWriter {
  private readonly path: string;
  private readonly keys: StoredTenantKeys;
  private pending: TenantStateSnapshot | undefined;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private readonly onError: (error: unknown) => void;

  constructor(path: string, keys: StoredTenantKeys, onError: (error: unknown) => void) {
    this.path = path;
    this.keys = keys;
    this.onError = onError;
  }

  schedule(snapshot: TenantStateSnapshot): void {
    this.pending = snapshot;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.writing = this.writing.then(() => this.write()).catch(this.onError);
    }, 200);
  }

  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.writing = this.writing.then(() => this.write()).catch(this.onError);
    }
    await this.writing;
  }

  private async write(): Promise<void> {
    const state = this.pending;
    if (!state) return;
    this.pending = undefined;
    const file: StateFile = { version: 1, keys: this.keys, state };
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const temporary = `${this.path}.${process.pid}.tmp`;
    await writeFile(temporary, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
    await chmod(temporary, 0o600);
    await rename(temporary, this.path);
  }
}
