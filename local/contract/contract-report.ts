export type Verdict = 'match' | 'differs' | 'explained' | 'skipped';

/** One thing the project expects of Graph, and what Graph did. */
export interface ContractCheck {
  id: string;
  area: string;
  expected: string;
  observed: string;
  verdict: Verdict;
  /** Why a difference is fine, or why the check could not run. */
  note?: string;
  status?: number;
  code?: string;
  message?: string;
  requestId?: string;
}

export interface ContractReport {
  tool: 'passkey-courier contract';
  version: 1;
  startedAt: string;
  finishedAt: string;
  target: { graph: string; tenantId: string | undefined; testUser: string };
  checks: ContractCheck[];
  summary: Record<Verdict, number>;
  /** What the run created in the tenant, and whether it is gone again. */
  created: { what: string; deleted: boolean }[];
}

const JWT_LIKE = /eyJ[A-Za-z0-9_-]{10,}(?:\.[A-Za-z0-9_-]*)*/g;
const LONG_BASE64 = /[A-Za-z0-9+/_-]{120,}={0,2}/g;

/**
 * Removes anything secret-shaped from a text: tokens and JWEs (they start "eyJ", also when
 * base64url-wrapped once more, "ZXlK"), and long base64 runs such as challenges.
 */
export function scrub(text: string): string {
  return text
    .replace(JWT_LIKE, '[redacted token]')
    .replace(/ZXlK[A-Za-z0-9_-]{20,}/g, '[redacted challenge]')
    .replace(LONG_BASE64, '[redacted]');
}

/** The report as written: every string scrubbed. */
export function reportJson(report: ContractReport): string {
  return `${JSON.stringify(report, (_key, value: unknown) => (typeof value === 'string' ? scrub(value) : value), 2)}\n`;
}

export function summarise(checks: readonly ContractCheck[]): Record<Verdict, number> {
  const summary: Record<Verdict, number> = { match: 0, differs: 0, explained: 0, skipped: 0 };
  for (const check of checks) summary[check.verdict] += 1;
  return summary;
}

const MARK: Record<Verdict, string> = {
  match: 'match',
  differs: 'DIFFERS',
  explained: 'explained',
  skipped: 'skipped',
};

/** A plain-text table: one line per check, then the notes of differences and explanations. */
export function reportTable(report: ContractReport): string {
  const rows = report.checks.map((c) => [
    MARK[c.verdict],
    c.id,
    c.status === undefined ? '' : String(c.status),
    scrub(c.observed),
  ]);
  const widths = [9, Math.max(...rows.map((r) => r[1]!.length), 5), 6];
  const line = (cells: string[]) =>
    cells.map((cell, i) => (i < widths.length ? cell.padEnd(widths[i]!) : cell)).join('  ');
  const out = [line(['verdict', 'check', 'status', 'observed']), ...rows.map(line)];
  const notes = report.checks.filter((c) => c.note && c.verdict !== 'match');
  if (notes.length > 0) {
    out.push('', 'Notes:');
    for (const c of notes) out.push(`  ${c.id}: ${scrub(c.note!)}`);
  }
  const s = report.summary;
  out.push(
    '',
    `${s.match} match, ${s.differs} differ, ${s.explained} explained, ${s.skipped} skipped. Created ${report.created.length}, deleted ${report.created.filter((c) => c.deleted).length}.`,
  );
  return out.join('\n');
}
