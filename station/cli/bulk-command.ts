import { readFile, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import {
  emptyResult,
  readBulkCsv,
  readResultsCsv,
  writeResultsCsv,
  type BulkResult,
  type BulkRow,
} from '../bulk/bulk-rows.ts';
import type { StationApiClient } from '../service/station-api-client.ts';
import { StationApiError } from '../service/station-api-error.ts';
import type { Terminal } from './terminal.ts';

/** Where the service's admin API lives (the Functions host reserves `admin/`). */
const ADMIN_PREFIX = 'manage';
const CHUNK = 500;

const answerSchema = z.looseObject({
  results: z.array(
    z.looseObject({
      row: z.number(),
      user: z.string(),
      status: z.enum(['started', 'exists', 'error']),
      requestId: z.string().optional(),
      error: z.looseObject({ code: z.string(), message: z.string() }).optional(),
    }),
  ),
});

export interface BulkOptions {
  /** Exactly one of the two: a CSV of employees, or an Entra group (display name or object id). */
  csv?: string;
  group?: string;
  batchId: string;
  results: string;
  dryRun: boolean;
}

/**
 * `station bulk --csv`: pre-approved requests for every row, through the service's admin bulk API
 * (Courier.Admin). The results file says per row what happened; a rerun with the same file
 * resumes, sending only rows not yet started (the service starts nothing twice anyway: request
 * ids derive from the batch and the user). The keys are then programmed by `station run`, and each
 * PIN reaches its employee after delivery, as for any request.
 */
export async function runBulk(
  client: StationApiClient,
  options: BulkOptions,
  terminal: Terminal,
): Promise<{ failed: number }> {
  const rows = options.csv
    ? readBulkCsv(await readFile(options.csv, 'utf8'))
    : await groupRows(client, options.group!);
  const source = options.csv ?? `group ${options.group}`;
  // The results of an earlier run, if any: the rows it started are not sent again.
  const previous: BulkResult[] = await readFile(options.results, 'utf8').then(
    readResultsCsv,
    () => [],
  );
  const done = new Map(
    previous
      .filter((r) => r.status === 'started' || r.status === 'exists')
      .map((r) => [r.upn.toLowerCase(), r]),
  );
  const todo = rows.filter((r) => !done.has(r.user.toLowerCase()));
  terminal.say(
    `${rows.length} row(s) in ${source}; ${rows.length - todo.length} already started (from ${options.results}), ${todo.length} to send.`,
    {
      event: 'bulk-plan',
      rows: rows.length,
      skipped: rows.length - todo.length,
      toSend: todo.length,
    },
  );
  const results = new Map<string, BulkResult>(previous.map((r) => [r.upn.toLowerCase(), r]));
  const record = (row: BulkRow, fields: Partial<BulkResult>) => {
    const result: BulkResult = { ...emptyResult(row), ...fields };
    results.set(row.user.toLowerCase(), result);
  };
  if (options.dryRun) {
    for (const row of todo) record(row, { status: 'would-start' });
    terminal.say(
      'Dry run: the CSV is valid; nothing was sent. (The service checks each user in Entra when the rows are sent.)',
      { event: 'bulk-dry-run' },
    );
  } else {
    for (let start = 0; start < todo.length; start += CHUNK) {
      const chunk = todo.slice(start, start + CHUNK);
      const batchId = `${options.batchId}-${Math.floor(start / CHUNK) + 1}`.slice(0, 40);
      const answer = await client.callRaw('POST', `${ADMIN_PREFIX}/requests/bulk`, {
        batchId,
        requests: chunk.map((r) => ({
          user: r.user,
          ...(r.shippingAddress ? { shippingAddress: r.shippingAddress } : {}),
          ...(r.keyClass ? { keyClass: r.keyClass } : {}),
          ...(r.note ? { note: r.note } : {}),
        })),
      });
      const parsed = answerSchema.safeParse(answer.body);
      if (!parsed.success) {
        const message = (answer.body as { error?: { message?: string } } | undefined)?.error
          ?.message;
        throw new StationApiError(
          answer.status === 403 ? 'UNAUTHORIZED' : 'SERVICE_ERROR',
          message ??
            `The admin bulk API answered HTTP ${answer.status}; sign in with an account that has the Courier.Admin role.`,
          { status: answer.status },
        );
      }
      for (const result of parsed.data.results) {
        const row = chunk[result.row - 1]!;
        record(row, {
          status: result.status,
          requestId: result.requestId ?? '',
          error: result.error ? `${result.error.code}: ${result.error.message}` : '',
        });
      }
      terminal.say(`Sent rows ${start + 1}-${start + chunk.length}.`, {
        event: 'bulk-progress',
        sent: start + chunk.length,
      });
    }
  }
  const ordered = [...results.values()].sort((a, b) => a.row - b.row);
  await writeFile(options.results, writeResultsCsv(ordered), { mode: 0o600 });
  const failed = ordered.filter((r) => r.status === 'error').length;
  terminal.say(
    `${ordered.filter((r) => r.status === 'started' || r.status === 'exists').length} started, ${failed} failed. Results: ${options.results}`,
    { event: 'bulk-finished', failed, results: options.results },
    failed ? 'yellow' : 'green',
  );
  for (const r of ordered.filter((x) => x.status === 'error'))
    terminal.say(`  line ${r.row} ${r.upn}: ${r.error}`);
  return { failed };
}

const membersSchema = z.looseObject({
  members: z.array(
    z.looseObject({ userPrincipalName: z.string(), accountEnabled: z.boolean().optional() }),
  ),
});

/** The members of an Entra group (every page), read by the service, as bulk rows. */
async function groupRows(client: StationApiClient, groupId: string): Promise<BulkRow[]> {
  const answer = membersSchema.parse(
    await client.call(
      'GET',
      `${ADMIN_PREFIX}/groups/${encodeURIComponent(groupId)}/members`,
      undefined,
      undefined,
    ),
  );
  return answer.members.map((m, index) => ({ row: index + 1, user: m.userPrincipalName }));
}
