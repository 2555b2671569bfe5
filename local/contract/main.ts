import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { createGraphCredential } from '../../core/graph/graph-credential.ts';
import { err, fail, out } from '../command-line-output.ts';
import { reportJson, reportTable } from './contract-report.ts';
import { runContract, type ContractSettings } from './contract-run.ts';
import { localContractTarget } from './local-contract-tenant.ts';

interface Flags {
  local?: boolean;
  tenantId?: string;
  clientId?: string;
  certificate?: string;
  user?: string;
  otherUser?: string;
  graphUrl: string;
  authorityHost?: string;
  caFile?: string;
  report: string;
  waitForExpiry?: boolean;
  methodIds?: 'credential-id' | 'guid';
}

const https = (value: string): string => {
  if (!/^https:\/\//.test(value)) throw new InvalidArgumentError('must be an https:// URL.');
  return value.replace(/\/+$/, '');
};

function program(): Command {
  return new Command('npm run contract --')
    .description(
      'Checks a tenant against what Passkey Courier expects of Microsoft Graph. Creates software-key passkeys for the test user only and deletes them again; writes a JSON report (no secrets) and prints a table.',
    )
    .option('--local', 'run against a local tenant started in this process (CI)')
    .option('--tenant-id <id>', 'the Entra tenant id')
    .option('--client-id <id>', 'the app registration (client) id')
    .option('--certificate <file>', "PEM file with the app's certificate and private key")
    .option('--user <upn>', 'the test user: the only user the probe creates anything for')
    .option('--other-user <upn>', 'another user whose creation options are read (never written)')
    .option('--graph-url <url>', 'Microsoft Graph root', https, 'https://graph.microsoft.com')
    .option('--authority-host <url>', 'Entra authority host (default: the public cloud)', https)
    .option('--ca-file <file>', 'an extra CA to trust (TLS verification stays on)')
    .option('--report <file>', 'where the JSON report goes', '.courier/contract-report.json')
    .option('--wait-for-expiry', 'wait 5.5 minutes to check that an expired challenge is refused')
    .option('--method-ids <form>', '--local only: credential-id or guid method ids')
    .showHelpAfterError();
}

async function settingsFrom(flags: Flags): Promise<ContractSettings> {
  const missing = (['tenantId', 'clientId', 'certificate', 'user'] as const).filter(
    (f) => !flags[f],
  );
  if (missing.length > 0) {
    fail(
      `Against a real tenant the probe needs ${missing.map((m) => `--${m.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')} (or --local). See README: "Checking a real tenant".`,
    );
  }
  let caPem: string | undefined;
  if (flags.caFile) {
    try {
      caPem = await readFile(flags.caFile, 'utf8');
    } catch (error) {
      fail(`--ca-file ${flags.caFile} cannot be read: ${(error as Error).message}`);
    }
  }
  return {
    credential: createGraphCredential({
      kind: 'client-certificate',
      tenantId: flags.tenantId!,
      clientId: flags.clientId!,
      certificatePath: flags.certificate!,
      ...(flags.authorityHost ? { authorityHost: flags.authorityHost } : {}),
      ...(caPem ? { caPem } : {}),
    }),
    graphBaseUrl: flags.graphUrl,
    ...(caPem ? { caPem } : {}),
    tenantId: flags.tenantId!,
    testUser: flags.user!,
    ...(flags.otherUser ? { otherUser: flags.otherUser } : {}),
    ...(flags.waitForExpiry ? { waitForExpiry: true } : {}),
  };
}

async function main(): Promise<void> {
  const flags = program().parse(process.argv).opts<Flags>();
  if (flags.methodIds && flags.methodIds !== 'credential-id' && flags.methodIds !== 'guid')
    fail(`--method-ids must be credential-id or guid, got "${String(flags.methodIds)}".`);
  const local = flags.local
    ? await localContractTarget(flags.methodIds ? { methodIds: flags.methodIds } : {})
    : undefined;
  try {
    const settings = local?.settings ?? (await settingsFrom(flags));
    err(`Probing ${settings.graphBaseUrl} for ${settings.testUser}…`);
    const report = await runContract(settings);
    await mkdir(dirname(flags.report), { recursive: true });
    await writeFile(flags.report, reportJson(report), { mode: 0o600 });
    out(reportTable(report));
    err(`Report: ${flags.report}`);
    if (report.summary.differs > 0 || report.created.some((c) => !c.deleted)) process.exitCode = 1;
  } catch (error) {
    err(`The probe failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  } finally {
    await local?.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
