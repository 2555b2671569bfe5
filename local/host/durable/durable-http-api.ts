import { randomUUID } from 'node:crypto';
import { payloadProblem } from './durable-limits.ts';
import { isJson, type DurableEngine } from './durable-engine.ts';
import { managementLinks, type DurableEndpoints } from './durable-client-input.ts';
import { TERMINAL_STATUSES, type InstanceRecord, type RuntimeStatus } from './instance-record.ts';
import { orchestrationStatusPayload } from './orchestration-status-payload.ts';

export interface DurableApiRequest {
  method: string;
  /** The path after the API's base ("/instances/abc"), still percent-encoded. */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** The full request URL, for Location headers. */
  url: string;
}

export interface DurableApiResponse {
  status: number;
  headers?: Record<string, string>;
  /** Serialised as JSON when present. */
  body?: unknown;
}

/**
 * The Durable extension's HTTP API (HttpApiHandler), served both on the loopback RPC endpoint the
 * durable client calls and on the public webhook path of the host's HTTPS port:
 *   POST   orchestrators/{name}[/{instanceId}]        start (409 if the id is still running)
 *   GET    instances/{id}                             status (202 while running, 200 when done)
 *   GET    instances/                                 query (filters, paging by continuation token)
 *   DELETE instances/{id} | instances/?filters        purge
 *   POST   instances/{id}/raiseEvent/{event}          raise (JSON body only)
 *   POST   instances/{id}/terminate|suspend|resume    with ?reason=
 * Status codes, error shapes and headers follow the extension so DurableClient behaves unchanged.
 */
export class DurableHttpApi {
  readonly #engine: DurableEngine;
  readonly #endpoints: DurableEndpoints;

  constructor(engine: DurableEngine, endpoints: DurableEndpoints) {
    this.#engine = engine;
    this.#endpoints = endpoints;
  }

  async handle(request: DurableApiRequest): Promise<DurableApiResponse> {
    let path: string;
    try {
      path = decodeURIComponent(request.path);
    } catch {
      return error(400, 'The request path is not valid percent-encoding.');
    }
    const segments = path.split('/').filter((s) => s !== '');
    const method = request.method.toUpperCase();
    const [controller, first, second, third, ...extra] = segments;
    switch (controller?.toLowerCase()) {
      case 'orchestrators':
        if (!first || third !== undefined) return { status: 404 };
        return method === 'POST' ? this.#start(request, first, second) : { status: 404 };
      case 'instances':
        if (second?.toLowerCase() === 'raiseevent' && third !== undefined && !extra.length) {
          return method === 'POST' ? this.#raise(request, first!, third) : { status: 404 };
        }
        if (third !== undefined) return { status: 404 };
        if (first === undefined) {
          if (method === 'GET') return this.#query(request);
          if (method === 'DELETE') return this.#purgeWhere(request);
          return { status: 404 };
        }
        if (second === undefined) {
          if (method === 'GET') return this.#status(request, first);
          if (method === 'DELETE') return this.#purge(first);
          return { status: 404 };
        }
        if (method !== 'POST') return { status: 404 };
        return this.#operation(request, first, second.toLowerCase());
      case 'entities':
        return error(501, 'Durable entities are not supported by the local host.');
      default:
        return { status: 404 };
    }
  }

  async #start(
    request: DurableApiRequest,
    name: string,
    instanceId: string | undefined,
  ): Promise<DurableApiResponse> {
    const text = request.body.toString('utf8');
    if (text !== '' && !isJson(text)) return error(400, 'Invalid JSON content');
    const version = request.query.get('version') ?? undefined;
    const result = await this.#engine.startNew(name, {
      instanceId: instanceId || randomUUID().replace(/-/g, ''),
      ...(text !== '' ? { input: text } : {}),
      ...(version !== undefined ? { version } : {}),
    });
    switch (result.kind) {
      case 'unknownFunction':
      case 'invalidInstanceId':
      case 'invalidInput':
        return error(400, result.message);
      case 'conflict':
        return error(
          409,
          `An Orchestration instance with the status ${result.status} already exists.`,
        );
      case 'started':
        break;
    }
    const timeout = seconds(request.query.get('timeout'));
    if (timeout !== undefined) {
      const record = await this.#engine
        .waitFor(result.instanceId, (r) => TERMINAL_STATUSES.has(r.runtimeStatus), timeout * 1000)
        .catch(() => undefined);
      if (record?.runtimeStatus === 'Completed')
        return { status: 200, body: record.output ?? null };
      if (record) return this.#statusResponse(request, record, false);
    }
    const links = managementLinks(this.#endpoints, result.instanceId);
    return {
      status: 202,
      headers: { Location: links.statusQueryGetUri, 'Retry-After': '10' },
      body: links,
    };
  }

  #status(request: DurableApiRequest, instanceId: string): DurableApiResponse {
    const record = this.#engine.get(instanceId);
    if (!record) return { status: 404 };
    const failAs500 = request.query.get('returnInternalServerErrorOnFailure') === 'true';
    return this.#statusResponse(request, record, failAs500);
  }

  #statusResponse(
    request: DurableApiRequest,
    record: InstanceRecord,
    failAs500: boolean,
  ): DurableApiResponse {
    const body = orchestrationStatusPayload(record, {
      showInput: booleanParameter(request.query, 'showInput') ?? true,
      showHistory: booleanParameter(request.query, 'showHistory') ?? false,
      showHistoryOutput: booleanParameter(request.query, 'showHistoryOutput') ?? false,
    });
    if (record.runtimeStatus === 'Failed') return { status: failAs500 ? 500 : 200, body };
    if (TERMINAL_STATUSES.has(record.runtimeStatus)) return { status: 200, body };
    // Still running: 202 pointing back at itself, with a polite Retry-After.
    return { status: 202, headers: { Location: request.url, 'Retry-After': '5' }, body };
  }

  #query(request: DurableApiRequest): DurableApiResponse {
    const query = request.query;
    const prefix = query.get('instanceIdPrefix') ?? undefined;
    const from = dateParameter(query, 'createdTimeFrom');
    const to = dateParameter(query, 'createdTimeTo');
    const statuses = statusParameter(query);
    const showInput = booleanParameter(query, 'showInput') ?? false;
    const matching = this.#engine
      .list()
      .filter(
        (r) =>
          (prefix === undefined || r.instanceId.startsWith(prefix)) &&
          (from === undefined || Date.parse(r.createdTime) >= from) &&
          (to === undefined || Date.parse(r.createdTime) <= to) &&
          (!statuses || statuses.has(r.runtimeStatus)),
      )
      .sort(
        (a, b) => a.createdTime.localeCompare(b.createdTime) || cmp(a.instanceId, b.instanceId),
      );
    const top = Number(query.get('top'));
    const tokenHeader = request.headers['x-ms-continuation-token'];
    const start = Number(Buffer.from(String(tokenHeader ?? ''), 'base64').toString()) || 0;
    const pageSize = Number.isInteger(top) && top > 0 ? top : matching.length;
    const page = matching.slice(start, start + pageSize);
    const next = start + pageSize < matching.length ? start + pageSize : undefined;
    return {
      status: 200,
      headers:
        next === undefined
          ? {}
          : { 'x-ms-continuation-token': Buffer.from(String(next)).toString('base64') },
      body: page.map((r) => orchestrationStatusPayload(r, { showInput })),
    };
  }

  async #purge(instanceId: string): Promise<DurableApiResponse> {
    const record = this.#engine.get(instanceId);
    if (!record) return { status: 404 };
    const result = await this.#engine.purge(instanceId);
    if (result === 'notTerminal') {
      return {
        status: 412,
        body: `Only orchestrations in a terminal state can be purged, but the orchestration with instance ID ${instanceId} has status ${record.runtimeStatus}`,
      };
    }
    return result === 'purged' ? { status: 200, body: { instancesDeleted: 1 } } : { status: 404 };
  }

  async #purgeWhere(request: DurableApiRequest): Promise<DurableApiResponse> {
    const from = dateParameter(request.query, 'createdTimeFrom');
    if (from === undefined) {
      return { status: 400, body: "Please provide value for 'createdTimeFrom' parameter." };
    }
    const to = dateParameter(request.query, 'createdTimeTo') ?? Infinity;
    const statuses = statusParameter(request.query);
    let deleted = 0;
    for (const record of this.#engine.list()) {
      const created = Date.parse(record.createdTime);
      if (created < from || created > to) continue;
      if (statuses && !statuses.has(record.runtimeStatus)) continue;
      if ((await this.#engine.purge(record.instanceId)) === 'purged') deleted++;
    }
    return deleted ? { status: 200, body: { instancesDeleted: deleted } } : { status: 404 };
  }

  async #raise(
    request: DurableApiRequest,
    instanceId: string,
    eventName: string,
  ): Promise<DurableApiResponse> {
    const record = this.#engine.get(instanceId);
    if (!record) return { status: 404 };
    if (TERMINAL_STATUSES.has(record.runtimeStatus)) return { status: 410 };
    const contentType = String(request.headers['content-type'] ?? '')
      .split(';')[0]!
      .trim()
      .toLowerCase();
    if (contentType !== 'application/json') {
      return error(400, 'Only application/json request content is supported');
    }
    const text = request.body.toString('utf8');
    if (text !== '' && !isJson(text)) return error(400, 'Invalid JSON content');
    // The backend carries the event in one message: past its limit it would never arrive.
    const tooBig = payloadProblem(`The payload of event '${eventName}'`, text || undefined);
    if (tooBig) return error(400, tooBig);
    const result = await this.#engine.raiseEvent(instanceId, eventName, text || undefined);
    return { status: result === 'accepted' ? 202 : result === 'gone' ? 410 : 404 };
  }

  async #operation(
    request: DurableApiRequest,
    instanceId: string,
    operation: string,
  ): Promise<DurableApiResponse> {
    const reason = request.query.get('reason') ?? undefined;
    let result;
    switch (operation) {
      case 'terminate':
        result = await this.#engine.terminate(instanceId, reason);
        break;
      case 'suspend':
        result = await this.#engine.suspend(instanceId, reason);
        break;
      case 'resume':
        result = await this.#engine.resume(instanceId, reason);
        break;
      case 'rewind':
      case 'restart':
        return error(501, `The ${operation} operation is not supported by the local host.`);
      default:
        return { status: 404 };
    }
    return { status: result === 'accepted' ? 202 : result === 'gone' ? 410 : 404 };
  }
}

/** ASP.NET's HttpError shape, as CreateErrorResponse writes it. */
function error(status: number, message: string): DurableApiResponse {
  return { status, body: { Message: message } };
}

function booleanParameter(query: URLSearchParams, name: string): boolean | undefined {
  const value = query.get(name)?.toLowerCase();
  return value === 'true' ? true : value === 'false' ? false : undefined;
}

function dateParameter(query: URLSearchParams, name: string): number | undefined {
  const value = query.get(name);
  if (!value) return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : time;
}

function statusParameter(query: URLSearchParams): Set<RuntimeStatus> | undefined {
  const values = query
    .getAll('runtimeStatus')
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
  return values.length ? new Set(values as RuntimeStatus[]) : undefined;
}

function seconds(text: string | null): number | undefined {
  if (text === null) return undefined;
  const value = Number(text);
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
