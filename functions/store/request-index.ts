import { odata, type TableClient } from '@azure/data-tables';
import { z } from 'zod';
import { keyClassSchema } from '../../core/request/key-class.ts';
import { RequestReason, RequestState, TERMINAL_STATES } from '../../core/request/request-state.ts';
import { CourierError } from '../../core/courier-error.ts';
import { tableKeySchema } from './table-key.ts';
import { storageFailure, tableStatus } from './table-status.ts';

export type RequestIndexErrorCode =
  'NOT_FOUND' | 'INVALID_INPUT' | 'CORRUPT_RECORD' | 'STORAGE' | 'CONFLICT';

/** A request index failure, with a stable code. */
export class RequestIndexError extends CourierError<RequestIndexErrorCode> {}

const person = z.strictObject({
  id: z.string().min(1).max(200),
  displayName: z.string().max(256).optional(),
  userPrincipalName: z.string().max(256).optional(),
});

/**
 * What the status API shows and authorises with: one row per request, kept current by the
 * workflow's record activity (in step order) and, for the requester's own actions (delivery
 * confirmation, PIN release), by the request API. No secret is ever part of it.
 */
export const requestSummarySchema = z.strictObject({
  requestId: tableKeySchema,
  instanceId: z.string().min(1),
  jobId: z.string().min(1),
  requester: person,
  reason: z.enum(Object.values(RequestReason) as [RequestReason, ...RequestReason[]]),
  note: z.string().optional(),
  keyClass: keyClassSchema,
  requestedAt: z.iso.datetime(),
  replaces: z.string().optional(),
  state: z.enum(Object.values(RequestState) as [RequestState, ...RequestState[]]),
  /** The last workflow step applied: updates apply in order, repeats are no-ops. */
  step: z.number().int().nonnegative(),
  updatedAt: z.iso.datetime(),
  approvers: z.array(person),
  approverSource: z.string().optional(),
  approvalDeadline: z.iso.datetime().optional(),
  decidedBy: person.optional(),
  /**
   * The approval decision as the API took it, before the workflow records it: set once, under
   * the summary's ETag, so of two approvers deciding at once exactly one wins.
   */
  decision: z.strictObject({ by: person, approved: z.boolean(), at: z.iso.datetime() }).optional(),
  methodId: z.string().optional(),
  credentialId: z.string().optional(),
  aaguid: z.string().optional(),
  serial: z.number().int().nonnegative().optional(),
  carrier: z.string().optional(),
  trackingNumber: z.string().optional(),
  deliveryDeadline: z.iso.datetime().optional(),
  /** Why the request ended (rejected, expired, cancelled, a Graph refusal code, lost…). */
  outcome: z.string().optional(),
  outcomeMessage: z.string().optional(),
  /** The requester's own steps, written by the request API. */
  deliveryConfirmedAt: z.iso.datetime().optional(),
  wrongSerialAttempts: z.number().int().nonnegative().optional(),
  pinReleasedAt: z.iso.datetime().optional(),
});
export type RequestSummary = z.infer<typeof requestSummarySchema>;

/** The fields a workflow step may set. */
export type SummaryUpdate = Partial<
  Omit<
    RequestSummary,
    'requestId' | 'step' | 'deliveryConfirmedAt' | 'wrongSerialAttempts' | 'pinReleasedAt'
  >
>;

const SUMMARY = 'request';
const byRequester = (id: string) => `requester:${id.toLowerCase()}`;
const pendingFor = (id: string) => `pending:${id.toLowerCase()}`;

/**
 * The request index: per-request summaries, plus index rows to list a requester's requests and
 * an approver's pending decisions without scanning. Summary updates carry the workflow step and
 * are applied only in order, under the ETag, so an activity retried after a crash cannot roll a
 * request back. Index rows are derived from the summary and rewritten idempotently.
 */
export class RequestIndex {
  private readonly table: TableClient;
  private readonly maxRaceRetries: number;

  constructor(table: TableClient, options: { maxRaceRetries?: number } = {}) {
    this.table = table;
    this.maxRaceRetries = options.maxRaceRetries ?? 20;
  }

  /**
   * Applies workflow step `step`. The first step must carry the whole summary (`initial`);
   * later ones merge `update`. Steps at or below the stored one are ignored.
   */
  async applyStep(
    requestId: string,
    step: number,
    update: SummaryUpdate,
    initial?: Omit<RequestSummary, 'step' | 'updatedAt' | 'approvers' | 'state'>,
  ): Promise<RequestSummary> {
    const id = checkId(requestId);
    for (let round = 0; round < this.maxRaceRetries; round++) {
      const current = await this.read(id);
      let next: RequestSummary;
      if (!current) {
        if (!initial) {
          throw new RequestIndexError(
            'NOT_FOUND',
            `Request ${id} has no summary yet, and step ${step} is not its first.`,
          );
        }
        next = parseSummary({
          approvers: [],
          state: RequestState.Requested,
          ...initial,
          ...update,
          requestId: id,
          step,
          updatedAt: update.updatedAt ?? initial.requestedAt,
        });
        try {
          await this.table.createEntity(toEntity(next));
        } catch (error) {
          if (tableStatus(error) === 409) continue;
          throw storageError(error, `create request ${id}`);
        }
      } else {
        if (current.summary.step > step) return current.summary;
        if (current.summary.step === step) {
          // A retried step: the summary was written, the index rows perhaps not.
          await this.writeIndexRows(current.summary);
          return current.summary;
        }
        next = parseSummary({ ...current.summary, ...update, step });
        try {
          await this.table.updateEntity(toEntity(next), 'Replace', { etag: current.etag });
        } catch (error) {
          if (tableStatus(error) === 412) continue;
          throw storageError(error, `update request ${id}`);
        }
      }
      await this.writeIndexRows(next);
      return next;
    }
    throw new RequestIndexError('CONFLICT', `Request ${id} kept changing; try again.`);
  }

  /**
   * The requester's own step (delivery confirmation, PIN release): `change` decides from the
   * current summary, returning the fields to set or throwing; it runs again after a lost race.
   */
  async applyRequesterStep(
    requestId: string,
    change: (summary: RequestSummary) => Partial<RequestSummary> | undefined,
  ): Promise<RequestSummary> {
    const id = checkId(requestId);
    for (let round = 0; round < this.maxRaceRetries; round++) {
      const current = await this.read(id);
      if (!current) throw notFound(id);
      const fields = change(current.summary);
      if (!fields) return current.summary;
      const next = parseSummary({ ...current.summary, ...fields });
      try {
        await this.table.updateEntity(toEntity(next), 'Replace', { etag: current.etag });
        return next;
      } catch (error) {
        if (tableStatus(error) === 412) continue;
        throw storageError(error, `update request ${id}`);
      }
    }
    throw new RequestIndexError('CONFLICT', `Request ${id} kept changing; try again.`);
  }

  async get(requestId: string): Promise<RequestSummary> {
    const id = checkId(requestId);
    const current = await this.read(id);
    if (!current) throw notFound(id);
    return current.summary;
  }

  async find(requestId: string): Promise<RequestSummary | undefined> {
    return (await this.read(checkId(requestId)))?.summary;
  }

  /** A requester's requests, newest first. */
  async listForRequester(requesterId: string): Promise<RequestSummary[]> {
    return this.resolve(byRequester(checkId(requesterId)));
  }

  /** Requests waiting for this approver's decision, oldest first. Prunes rows that no longer apply. */
  async listPendingFor(approverId: string): Promise<RequestSummary[]> {
    const partition = pendingFor(checkId(approverId));
    const all = await this.resolve(partition);
    const pending: RequestSummary[] = [];
    for (const summary of all) {
      const mine =
        summary.state === RequestState.AwaitingApproval &&
        summary.approvers.some((a) => a.id.toLowerCase() === approverId.toLowerCase());
      if (mine) pending.push(summary);
      else await this.deleteRow(partition, summary.requestId);
    }
    return pending.reverse();
  }

  private async deleteRow(partition: string, rowKey: string): Promise<void> {
    try {
      await this.table.deleteEntity(partition, rowKey);
    } catch (error) {
      if (tableStatus(error) !== 404) throw storageError(error, `prune ${partition}`);
    }
  }

  private async resolve(partition: string): Promise<RequestSummary[]> {
    const ids: string[] = [];
    try {
      for await (const row of this.table.listEntities<{ rowKey: string; requestId: string }>({
        queryOptions: { filter: odata`PartitionKey eq ${partition}`, select: ['requestId'] },
      })) {
        ids.push(row.requestId);
      }
    } catch (error) {
      throw storageError(error, `list ${partition}`);
    }
    const summaries = await Promise.all(ids.map((id) => this.read(id)));
    return summaries
      .flatMap((entry) => (entry ? [entry.summary] : []))
      .sort((a, b) => Date.parse(b.requestedAt) - Date.parse(a.requestedAt));
  }

  /**
   * Adds the requester's row and the approvers' pending rows. Both are upserts, so a retried step
   * rewrites them harmlessly; pending rows that no longer apply are pruned when listed.
   */
  private async writeIndexRows(summary: RequestSummary): Promise<void> {
    const rows = [
      {
        partitionKey: byRequester(summary.requester.id),
        rowKey: summary.requestId,
        requestId: summary.requestId,
      },
    ];
    if (summary.state === RequestState.AwaitingApproval) {
      for (const approver of summary.approvers) {
        rows.push({
          partitionKey: pendingFor(approver.id),
          rowKey: summary.requestId,
          requestId: summary.requestId,
        });
      }
    }
    try {
      for (const row of rows) await this.table.upsertEntity(row, 'Replace');
    } catch (error) {
      throw storageError(error, `index request ${summary.requestId}`);
    }
  }

  private async read(id: string): Promise<{ summary: RequestSummary; etag: string } | undefined> {
    let entity: Record<string, unknown> & { etag: string };
    try {
      entity = await this.table.getEntity<Record<string, unknown>>(SUMMARY, id);
    } catch (error) {
      if (tableStatus(error) === 404) return undefined;
      throw storageError(error, `read request ${id}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(String(entity.summary));
    } catch (cause) {
      throw new RequestIndexError('CORRUPT_RECORD', `Stored request ${id} is not JSON.`, { cause });
    }
    const checked = requestSummarySchema.safeParse(parsed);
    if (!checked.success) {
      throw new RequestIndexError(
        'CORRUPT_RECORD',
        `Stored request ${id} does not have the expected shape (${checked.error.issues[0]?.message}).`,
      );
    }
    return { summary: checked.data, etag: entity.etag };
  }
}

/** True when nothing more happens to the request. */
export function isFinished(summary: RequestSummary): boolean {
  return TERMINAL_STATES.has(summary.state);
}

function toEntity(summary: RequestSummary) {
  return {
    partitionKey: SUMMARY,
    rowKey: summary.requestId,
    // Columns for filtering and for people browsing the table; the JSON is what is read back.
    state: summary.state,
    requesterId: summary.requester.id,
    serial: summary.serial === undefined ? '' : String(summary.serial),
    summary: JSON.stringify(summary),
  };
}

function parseSummary(value: unknown): RequestSummary {
  const checked = requestSummarySchema.safeParse(value);
  if (checked.success) return checked.data;
  throw new RequestIndexError(
    'INVALID_INPUT',
    `Invalid request summary: ${checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
  );
}

function checkId(id: string): string {
  const checked = tableKeySchema.safeParse(id);
  if (!checked.success)
    throw new RequestIndexError('INVALID_INPUT', `Invalid id ${JSON.stringify(id)}.`);
  return checked.data;
}

function notFound(id: string): RequestIndexError {
  return new RequestIndexError('NOT_FOUND', `No request ${id}.`);
}

function storageError(cause: unknown, action: string): RequestIndexError {
  return new RequestIndexError('STORAGE', storageFailure(action, cause), { cause });
}
