import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { z } from 'zod';
import { CourierError } from '../../core/courier-error.ts';

export class BulkCsvError extends CourierError<'INVALID_CSV'> {}

/** One employee to enrol, as an IT admin lists them: a UPN or object id, and optional details. */
const rowSchema = z.strictObject({
  user: z.string().trim().min(3).max(256),
  shippingAddress: z.string().trim().min(1).max(500).optional(),
  keyClass: z.string().trim().min(1).max(80).optional(),
  note: z.string().trim().max(500).optional(),
});
export type BulkRow = z.infer<typeof rowSchema> & { row: number };

const ALIASES: Record<string, keyof z.infer<typeof rowSchema>> = {
  user: 'user',
  upn: 'user',
  userprincipalname: 'user',
  email: 'user',
  id: 'user',
  shippingaddress: 'shippingAddress',
  address: 'shippingAddress',
  keyclass: 'keyClass',
  note: 'note',
};

/** Reads the enrolment CSV (header row required; UTF-8, with or without BOM), every problem at once. */
export function readBulkCsv(text: string): BulkRow[] {
  let records: Record<string, string>[];
  try {
    records = parse(text, { columns: true, bom: true, skip_empty_lines: true, trim: true });
  } catch (cause) {
    throw new BulkCsvError('INVALID_CSV', `The CSV cannot be read: ${(cause as Error).message}`, {
      cause,
    });
  }
  const problems: string[] = [];
  const rows: BulkRow[] = [];
  records.forEach((record, index) => {
    const row = index + 2; // the header is line 1
    const mapped: Record<string, string> = {};
    for (const [column, value] of Object.entries(record)) {
      const key = ALIASES[column.toLowerCase().replace(/[^a-z]/g, '')];
      if (!key) {
        problems.push(
          `line ${row}: unknown column "${column}" (columns: user, shippingAddress, keyClass, note)`,
        );
        continue;
      }
      if (value !== '') mapped[key] = value;
    }
    const checked = rowSchema.safeParse(mapped);
    if (checked.success) rows.push({ ...checked.data, row });
    else
      problems.push(
        `line ${row}: ${checked.error.issues.map((i) => `${i.path.join('.') || 'row'}: ${i.message}`).join('; ')}`,
      );
  });
  if (problems.length > 0) {
    throw new BulkCsvError(
      'INVALID_CSV',
      `The CSV has problems; fix them and run again:\n  ${[...new Set(problems)].slice(0, 50).join('\n  ')}`,
    );
  }
  return rows;
}

/** A line of the per-row results file. Never a PIN: the station never has one here. */
export interface BulkResult {
  row: number;
  upn: string;
  status: 'started' | 'exists' | 'registered' | 'error' | 'would-start';
  requestId: string;
  serial: string;
  aaguid: string;
  credentialId: string;
  methodId: string;
  error: string;
}

/** A row's result before anything is known: an error until a status says otherwise. */
export function emptyResult(row: Pick<BulkRow, 'row' | 'user'>): BulkResult {
  return {
    row: row.row,
    upn: row.user,
    status: 'error',
    requestId: '',
    serial: '',
    aaguid: '',
    credentialId: '',
    methodId: '',
    error: '',
  };
}

export const RESULT_COLUMNS: (keyof BulkResult)[] = [
  'row',
  'upn',
  'status',
  'requestId',
  'serial',
  'aaguid',
  'credentialId',
  'methodId',
  'error',
];

/**
 * Neutralises spreadsheet formula injection (OWASP): a cell starting with = + - @ or a control
 * character is prefixed with a quote, so Excel or Sheets shows it as text instead of running it.
 */
export function safeCell(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

export function writeResultsCsv(results: BulkResult[]): string {
  return stringify(
    results.map((r) => RESULT_COLUMNS.map((c) => safeCell(String(r[c])))),
    { header: true, columns: RESULT_COLUMNS, quoted_string: true },
  );
}

/** The results of an earlier run, to resume: rows already started are not sent again. */
export function readResultsCsv(text: string): BulkResult[] {
  const records: Record<string, string>[] = parse(text, {
    columns: true,
    bom: true,
    skip_empty_lines: true,
  });
  return records.map((r) => {
    const unquote = (v: string | undefined) => (v ?? '').replace(/^'(?=[=+\-@\t\r])/, '');
    return {
      row: Number(r.row),
      upn: unquote(r.upn),
      status: unquote(r.status) as BulkResult['status'],
      requestId: unquote(r.requestId),
      serial: unquote(r.serial),
      aaguid: unquote(r.aaguid),
      credentialId: unquote(r.credentialId),
      methodId: unquote(r.methodId),
      error: unquote(r.error),
    };
  });
}
