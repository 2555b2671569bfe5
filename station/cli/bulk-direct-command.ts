import { access, readFile, writeFile } from 'node:fs/promises';
import { resolveGroup } from '../../core/graph/resolve-group.ts';
import { createGraphCredential } from '../../core/graph/graph-credential.ts';
import { GraphGateway } from '../../core/graph/graph-gateway.ts';
import { runDirectBulk } from '../bulk/bulk-direct.ts';
import {
  readBulkCsv,
  readResultsCsv,
  writeResultsCsv,
  type BulkResult,
  type BulkRow,
} from '../bulk/bulk-rows.ts';
import type { OpenKey } from '../provision/key-slot.ts';
import { readPem, StationConfigError } from './station-config.ts';
import type { Terminal } from './terminal.ts';

export interface DirectBulkCommandOptions {
  csv?: string;
  group?: string;
  results: string;
  dryRun: boolean;
  /** The app registration that may register passkeys, and the admin's certificate for it. */
  tenantId: string;
  appId: string;
  certificate: string;
  authorityHost: string;
  graphUrl: string;
  caFile: string | undefined;
  aaguids: string[];
  minimumFirmware: string;
  lettersKey: string | undefined;
  letters: string | undefined;
  attestationRoots: string[];
  minPinLength: number;
  /** The next fresh key, for the employee named (USB: after the operator plugs it in). */
  nextKey(upn: string): Promise<OpenKey>;
}

/**
 * `station bulk --direct`: the CSV's employees (or a group's members) enrolled straight through
 * Graph with a certificate an IT admin supplies for this run only (read from the file given, kept
 * nowhere), for organisations without the service. The results CSV resumes a run as in service
 * mode; each run's PINs go only into its own sealed letters file.
 */
export async function runBulkDirect(
  options: DirectBulkCommandOptions,
  terminal: Terminal,
): Promise<{ failed: number }> {
  if (!options.dryRun && !options.lettersKey) {
    throw new StationConfigError(
      'INVALID_CONFIG',
      '--direct needs --letters-key FILE.asc: the IT admin’s OpenPGP public key the PIN letters are sealed to.',
    );
  }
  const lettersPublicKey = options.lettersKey ? await readFile(options.lettersKey, 'utf8') : '';
  const caPem = options.caFile ? readPem(options.caFile, 'the CA file (caFile)') : undefined;
  const gateway = new GraphGateway({
    credential: createGraphCredential({
      kind: 'client-certificate',
      tenantId: options.tenantId,
      clientId: options.appId,
      certificatePath: options.certificate,
      authorityHost: options.authorityHost,
      ...(caPem ? { caPem } : {}),
    }),
    baseUrl: options.graphUrl,
    ...(caPem ? { caPem } : {}),
  });
  const rows: BulkRow[] = options.csv
    ? readBulkCsv(await readFile(options.csv, 'utf8'))
    : (await gateway.listGroupMembers(await resolveGroup(gateway, options.group!))).map(
        (m, index) => ({
          row: index + 1,
          user: m.userPrincipalName ?? m.id,
        }),
      );
  const previous: BulkResult[] = await readFile(options.results, 'utf8').then(
    readResultsCsv,
    () => [],
  );
  const results = new Map(previous.map((r) => [r.upn.toLowerCase(), r]));
  const todo = rows.filter((r) => results.get(r.user.toLowerCase())?.status !== 'registered');
  terminal.say(
    `${rows.length} row(s); ${rows.length - todo.length} already registered (from ${options.results}), ${todo.length} to do.`,
    {
      event: 'bulk-plan',
      rows: rows.length,
      skipped: rows.length - todo.length,
      toDo: todo.length,
    },
  );
  const letters = await freshPath(
    options.letters ?? options.results.replace(/(\.results)?\.csv$/i, '.letters.pdf.asc'),
  );
  const save = () =>
    writeFile(
      options.results,
      writeResultsCsv([...results.values()].sort((a, b) => a.row - b.row)),
      { mode: 0o600 },
    );
  const outcome = await runDirectBulk({
    gateway,
    rows: todo,
    keyClass: {
      name: 'bulk --direct',
      allowedAaguids: options.aaguids.map((a) => a.toLowerCase()),
      minimumFirmware: options.minimumFirmware,
    },
    attestationRoots: options.attestationRoots,
    lettersPublicKey,
    lettersPath: letters,
    dryRun: options.dryRun,
    minPinLength: options.minPinLength,
    nextKey: (row) => options.nextKey(row.user),
    release: (key) => key.close(),
    prompts: {
      step: (step, message) => terminal.say(message, { event: 'step', step }),
      prompt: (kind, message) => terminal.say(message, { event: 'prompt', kind }, 'bold'),
    },
    record: async (result) => {
      results.set(result.upn.toLowerCase(), result);
      await save();
      terminal.say(
        `line ${result.row} ${result.upn}: ${result.status}${result.error ? ` (${result.error})` : ''}`,
        { event: 'bulk-row', row: result.row, status: result.status },
        result.status === 'error' ? 'yellow' : 'green',
      );
    },
  });
  await save();
  const failed = [...results.values()].filter((r) => r.status === 'error').length;
  terminal.say(
    options.dryRun
      ? `Dry run: nothing was programmed. Results: ${options.results}`
      : `${outcome.letters} key(s) registered, ${failed} row(s) failed. Results: ${options.results}` +
          (outcome.letters > 0
            ? `; sealed PIN letters: ${letters} (print with: station letters print ${letters} --key PRIVATE.asc)`
            : ''),
    { event: 'bulk-finished', failed, results: options.results, letters: outcome.letters },
    failed ? 'yellow' : 'green',
  );
  return { failed };
}

/** `path`, or `name.2.pdf.asc`, … when an earlier run's letters are there: never overwritten. */
async function freshPath(path: string): Promise<string> {
  const exists = (p: string) =>
    access(p).then(
      () => true,
      () => false,
    );
  if (!(await exists(path))) return path;
  for (let n = 2; ; n++) {
    const candidate = path.replace(/(\.pdf\.asc)?$/, `.${n}$1`);
    if (!(await exists(candidate))) return candidate;
  }
}
