import { setTimeout as sleep } from 'node:timers/promises';
import { decodeJwt } from 'jose';
import type { Clock } from './clock.ts';
import { CONTROLS_PREFIX, handleControlRequest } from './controls/control-endpoints.ts';
import { faultCode, type FaultSettings } from './controls/fault-plan.ts';
import { SignInChecks } from './controls/sign-in-check.ts';
import { TenantControls, emptyCounters, type ControlledState } from './controls/tenant-controls.ts';
import type { ThrottleSettings } from './controls/token-bucket.ts';
import { Directory, MICROSOFT_GRAPH } from './directory.ts';
import { EntraEndpoints } from './entra/entra-endpoints.ts';
import { GrantStore } from './entra/grant-store.ts';
import { TokenIssuer } from './entra/token-issuer.ts';
import { GraphEndpoints } from './graph/graph-endpoints.ts';
import { graphError, methodNotAllowed, segmentNotFound } from './graph/graph-error.ts';
import { matchGraphRoute } from './graph/graph-route.ts';
import { ChallengeSealer } from './graph/registration-challenge.ts';
import {
  header,
  jsonResponse,
  type TenantRequest,
  type TenantResponse,
} from './http/tenant-request.ts';
import type { TenantSeed } from './seed/tenant-seed.ts';
import type { MethodIdForm } from './graph/method-id.ts';
import type { CrlName, MetadataService } from './mds/metadata-service.ts';
import type { TenantKeys } from './tenant-keys.ts';
import { TenantState, type TenantStateSnapshot } from './tenant-state.ts';

export interface RuntimeOptions {
  root: string;
  metadata: MetadataService;
  methodIdForm: MethodIdForm;
  seed: TenantSeed;
  keys: TenantKeys;
  clock: Clock;
  rpId: string;
  persona: string | undefined;
  accessTokenLifetimeSeconds: number;
  deviceCodeLifetimeSeconds: number;
  deviceCodeIntervalSeconds: number;
  controls: boolean;
  throttle: ThrottleSettings | undefined;
  faults: FaultSettings | undefined;
  snapshot: TenantStateSnapshot | undefined;
  onChange: (snapshot: TenantStateSnapshot) => void;
}

/** Where the tenant serves its FIDO Metadata Service BLOB. */
export const METADATA_SEGMENT = 'mds3';

const GRAPH_CONTENT_TYPE =
  'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';

/**
 * The tenant without its sockets: routes each request to Entra, Graph or the test controls, and
 * puts Graph behind the throttle and the fault plan. Everything here is in memory; the server
 * around it (start-local-tenant) owns TLS, ports and the state file.
 */
export class TenantRuntime {
  readonly directory: Directory;
  readonly controls: TenantControls;
  readonly entra: EntraEndpoints;
  private readonly graph: GraphEndpoints;
  private readonly live: ControlledState;
  private readonly options: RuntimeOptions;
  private readonly ownOrigins: Set<string>;

  constructor(options: RuntimeOptions) {
    this.options = options;
    const directory = new Directory(options.seed);
    this.directory = directory;
    const issuerUrl = `${options.root}/${directory.tenantId}/v2.0`;
    const onChange = () => options.onChange(this.live.state.snapshot());
    this.live = {
      state: options.snapshot
        ? new TenantState(options.snapshot)
        : TenantState.fromSeed(options.seed, directory, options.methodIdForm),
      counters: emptyCounters(),
      bucket: undefined,
      faults: undefined,
      retryNotBefore: new Map(),
      extraCertificates: new Map(),
    };
    const grants = new GrantStore();
    const issuer = new TokenIssuer({
      issuer: issuerUrl,
      key: options.keys.signing,
      directory,
      clock: options.clock,
      lifetimeSeconds: options.accessTokenLifetimeSeconds,
    });
    this.entra = new EntraEndpoints({
      root: options.root,
      directory,
      issuer,
      signingKey: options.keys.signing,
      grants,
      clock: options.clock,
      autoPersona:
        options.persona === undefined ? undefined : directory.personas.get(options.persona),
      deviceCodeLifetimeSeconds: options.deviceCodeLifetimeSeconds,
      deviceCodeIntervalSeconds: options.deviceCodeIntervalSeconds,
      certificatesOf: (clientId) => this.live.extraCertificates.get(clientId.toLowerCase()) ?? [],
    });
    this.graph = new GraphEndpoints({
      root: options.root,
      directory,
      state: () => this.live.state,
      challenges: new ChallengeSealer(options.keys.challenge),
      clock: options.clock,
      rpId: options.rpId,
      attestationRootsFor: (aaguid) => options.metadata.rootsFor(aaguid),
      signingKey: options.keys.signing.publicKey,
      issuer: issuerUrl,
      authorizeUrl: `${options.root}/${directory.tenantId}/oauth2/v2.0/authorize`,
      methodIdForm: options.methodIdForm,
      onChange,
    });
    const signIns = new SignInChecks({
      state: () => this.live.state,
      directory,
      clock: options.clock,
      rpId: options.rpId,
      onChange,
    });
    this.controls = new TenantControls({
      methodIdForm: options.methodIdForm,
      metadata: options.metadata,
      seed: options.seed,
      directory,
      live: this.live,
      entra: this.entra,
      grants,
      signIns,
      clock: options.clock,
      throttle: options.throttle,
      faults: options.faults,
      onChange,
    });
    this.controls.setThrottle(options.throttle ?? null);
    this.controls.setFaults(options.faults ?? null);
    const port = new URL(options.root).port;
    this.ownOrigins = new Set(
      ['localhost', '127.0.0.1', '[::1]'].map((h) => `https://${h}:${port}`),
    );
  }

  async handle(request: TenantRequest): Promise<TenantResponse> {
    const counters = this.live.counters;
    counters.total += 1;
    const path = `/${request.segments.join('/')}`;
    let response: TenantResponse;
    if (path === CONTROLS_PREFIX || path.startsWith(`${CONTROLS_PREFIX}/`)) {
      response = this.options.controls
        ? handleControlRequest(request, this.controls, this.ownOrigins)
        : jsonResponse(404, {
            error: { code: 'notFound', message: 'The test controls are switched off.' },
          });
    } else if (request.segments[0] === METADATA_SEGMENT) {
      response = await this.metadata(request);
    } else if (request.segments[0] === 'v1.0' || request.segments[0] === 'beta') {
      counters.graph += 1;
      response = await this.handleGraph(request);
      response.headers = { 'content-type': GRAPH_CONTENT_TYPE, ...response.headers };
    } else if (request.segments.length === 0) {
      response = jsonResponse(200, this.describe());
    } else {
      const entra = await this.entra.handle(request);
      if (entra) counters.entra += 1;
      response =
        entra ??
        jsonResponse(404, {
          error: { code: 'notFound', message: `Nothing at ${path}. GET / describes this tenant.` },
        });
    }
    counters.byStatus[response.status] = (counters.byStatus[response.status] ?? 0) + 1;
    return response;
  }

  private async handleGraph(request: TenantRequest): Promise<TenantResponse> {
    const live = this.live;
    const counters = live.counters;
    const match = matchGraphRoute(request)!;
    const operation = match.kind === 'route' ? match.route.operation : undefined;
    if (operation) counters.byOperation[operation] = (counters.byOperation[operation] ?? 0) + 1;

    // Throttling: one bucket for the tenant; early retries are counted per request (see callerKey).
    const now = this.options.clock();
    const caller = callerKey(request);
    const notBefore = live.retryNotBefore.get(caller);
    if (notBefore !== undefined && now < notBefore) counters.earlyRetries += 1;
    if (live.bucket) {
      const taken = live.bucket.take(now);
      if (!taken.allowed) {
        counters.throttled += 1;
        live.retryNotBefore.set(
          caller,
          Math.max(notBefore ?? 0, now + taken.retryAfterSeconds * 1000),
        );
        return graphError(
          request,
          429,
          'TooManyRequests',
          'Too many requests. Please retry after the time given in the Retry-After header.',
          {
            'retry-after': String(taken.retryAfterSeconds),
          },
        );
      }
    }
    const faults = live.faults;
    if (faults) {
      const delay = faults.latencyMs();
      if (delay > 0) await sleep(delay);
      if (operation === 'registerFido2Method' && faults.takeResetBeforeCommit()) {
        counters.injectedFaults += 1;
        return { status: 0, resetConnection: true };
      }
      const status = faults.injectedStatus();
      if (status !== undefined) {
        counters.injectedFaults += 1;
        const retryAfter = faults.settings.retryAfterSeconds;
        if (retryAfter !== undefined && status === 503) {
          live.retryNotBefore.set(caller, now + retryAfter * 1000);
        }
        return graphError(
          request,
          status,
          faultCode(status),
          'The service is temporarily unavailable (injected by the local tenant).',
          retryAfter !== undefined && status === 503 ? { 'retry-after': String(retryAfter) } : {},
        );
      }
    }

    if (match.kind === 'notFound') return segmentNotFound(request, match.segment);
    if (match.kind === 'methodNotAllowed') return methodNotAllowed(request);
    const response = await this.graph.execute(match.route, request);
    if (operation === 'registerFido2Method') {
      if (response.status === 201) counters.registrations.accepted += 1;
      else if (response.status === 400) counters.registrations.refused += 1;
      const fault = response.status === 201 ? faults?.takeAfterCommit() : undefined;
      if (fault !== undefined) {
        counters.injectedFaults += 1;
        if (fault === 'reset') return { status: 0, resetConnection: true };
        return graphError(
          request,
          fault,
          faultCode(fault),
          'The service is temporarily unavailable (injected by the local tenant after committing the request).',
        );
      }
    }
    return response;
  }

  /**
   * The FIDO Metadata Service: GET /mds3 is the BLOB (a JWT), /mds3/root.pem its trust root,
   * /mds3/crl/{root,ca}.crl the CRLs its chain's distribution points name.
   */
  private async metadata(request: TenantRequest): Promise<TenantResponse> {
    if (request.method !== 'GET')
      return jsonResponse(405, { error: { code: 'methodNotAllowed', message: 'GET only.' } });
    if (request.segments.length === 1)
      return {
        status: 200,
        text: this.options.metadata.blobJwt(),
        headers: { 'content-type': 'application/octet-stream' },
      };
    if (request.segments.length === 2 && request.segments[1] === 'root.pem')
      return {
        status: 200,
        text: this.options.metadata.rootPem,
        headers: { 'content-type': 'application/x-pem-file' },
      };
    const crl = /^(root|ca)\.crl$/.exec(request.segments[2] ?? '');
    if (request.segments.length === 3 && request.segments[1] === 'crl' && crl) {
      const der = await this.options.metadata.crl(crl[1] as CrlName, this.options.clock());
      return der
        ? { status: 200, bytes: der, headers: { 'content-type': 'application/pkix-crl' } }
        : jsonResponse(503, {
            error: {
              code: 'serviceUnavailable',
              message: 'The CRL is unavailable (test control PUT /_courier/tenant/mds/crl).',
            },
          });
    }
    return jsonResponse(404, {
      error: { code: 'notFound', message: 'GET /mds3, /mds3/root.pem or /mds3/crl/{root,ca}.crl.' },
    });
  }

  private describe(): Record<string, unknown> {
    const { root } = this.options;
    const tenantId = this.directory.tenantId;
    return {
      description:
        'Local Entra ID and Microsoft Graph tenant for Passkey Courier development (not Microsoft).',
      tenantId,
      authorityHost: root,
      authority: `${root}/${tenantId}`,
      openidConfiguration: `${root}/${tenantId}/v2.0/.well-known/openid-configuration`,
      graph: {
        v1: `${root}/v1.0`,
        beta: `${root}/beta`,
        scope: `${MICROSOFT_GRAPH.identifierUri}/.default`,
      },
      controls: this.options.controls ? `${root}${CONTROLS_PREFIX}` : null,
      fidoMetadata: {
        blob: `${root}/${METADATA_SEGMENT}`,
        root: `${root}/${METADATA_SEGMENT}/root.pem`,
        crls: Object.values(this.options.metadata.crlUrls),
      },
      applications: this.directory.applications.map((a) => ({
        key: a.key,
        clientId: a.clientId,
        clientType: a.clientType,
      })),
      personas: Object.fromEntries(
        [...this.directory.personas].map(([name, user]) => [name, user.userPrincipalName]),
      ),
    };
  }
}

/**
 * What a retry is recognised by, for early-retry accounting: the calling client and the
 * client-request-id Graph asks callers to keep across retries of one request. A request that was
 * already in flight when another got its 429 is not an early retry; one resent before its own
 * Retry-After is. Requests without a client-request-id fall back to the client alone. (The token is
 * not verified here.)
 */
function callerKey(request: TenantRequest): string {
  const token = /^Bearer\s+(\S+)/i.exec(header(request, 'authorization') ?? '')?.[1];
  let client = 'anonymous';
  if (token) {
    try {
      const claims = decodeJwt(token);
      if (typeof claims.azp === 'string') client = claims.azp;
    } catch {
      // an unreadable token is an anonymous caller here; authentication rejects it later
    }
  }
  const clientRequestId = header(request, 'client-request-id');
  return clientRequestId ? `${client} ${clientRequestId}` : client;
}
