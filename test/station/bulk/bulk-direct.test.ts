import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as openpgp from 'openpgp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGraphCredential } from '../../../core/graph/graph-credential.ts';
import { GraphGateway } from '../../../core/graph/graph-gateway.ts';
import { clientCertificate } from '../../../local/contract/local-contract-tenant.ts';
import { startLocalTenant, type LocalTenant } from '../../../local/tenant/start-local-tenant.ts';
import { runDirectBulk } from '../../../station/bulk/bulk-direct.ts';
import { readBulkCsv, writeResultsCsv, type BulkResult } from '../../../station/bulk/bulk-rows.ts';
import { openPinLetters } from '../../../station/bulk/pin-letters.ts';
import { ClientPin } from '../../../station/ctap/client-pin.ts';
import { VIRTUAL_ATTESTATION_ROOT_PEM } from '../../../station/virtual-key/attestation-authority.ts';
import { VIRTUAL_KEY_AAGUID } from '../../../station/virtual-key/virtual-key.ts';
import {
  missingRequirement,
  POPPLER,
  strictRequirements,
} from '../../support/system-requirement.ts';
import { plugKey, type PluggedKey } from '../support/station-harness.ts';
import { serveVirtualKeyOverUdp } from '../../../station/virtual-key/udp-server.ts';
import { VirtualKey } from '../../../station/virtual-key/virtual-key.ts';
import { runStation } from '../support/run-station.ts';

const missing = missingRequirement(POPPLER);
if (missing && strictRequirements) throw new Error(missing);

let tenant: LocalTenant;
let home: string;
let gateway: GraphGateway;
let admin: { publicKey: string; privateKey: string };
const plugged: PluggedKey[] = [];

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'bulk-direct-'));
  tenant = await startLocalTenant({ tlsDirectory: join(home, 'tls') });
  // The IT admin's certificate for this run: registered on the app, given as a file.
  const { certificatePem, pemWithKey } = await clientCertificate('CN=bulk enrolment');
  tenant.controls.addClientCertificate('functions', certificatePem);
  const certificatePath = join(home, 'admin-cert.pem');
  await writeFile(certificatePath, pemWithKey, { mode: 0o600 });
  gateway = new GraphGateway({
    credential: createGraphCredential({
      kind: 'client-certificate',
      tenantId: tenant.tenantId,
      clientId: tenant.applications.functions!.clientId,
      certificatePath,
      authorityHost: tenant.url,
      caPem: tenant.caPem,
    }),
    baseUrl: tenant.url,
    caPem: tenant.caPem,
  });
  const keys = await openpgp.generateKey({
    type: 'ecc',
    curve: 'curve25519Legacy',
    userIDs: [{ name: 'IT admin', email: 'it@fabrikam.example' }],
    format: 'armored',
  });
  admin = { publicKey: keys.publicKey, privateKey: keys.privateKey };
}, 60_000);
afterAll(async () => {
  for (const key of plugged) await key.close();
  await tenant?.close();
  if (home) await rm(home, { recursive: true, force: true });
});

const KEY_CLASS = {
  name: 'Software key',
  allowedAaguids: [VIRTUAL_KEY_AAGUID],
  minimumFirmware: '5.7.0',
};

async function run(csv: string, dryRun: boolean, lettersPath: string, skip = new Set<string>()) {
  const results: BulkResult[] = [];
  const lines: string[] = [];
  const keys: PluggedKey[] = [];
  const rows = readBulkCsv(csv).filter((r) => !skip.has(r.user));
  const outcome = await runDirectBulk({
    gateway,
    rows,
    keyClass: KEY_CLASS,
    attestationRoots: [VIRTUAL_ATTESTATION_ROOT_PEM],
    lettersPublicKey: admin.publicKey,
    lettersPath,
    dryRun,
    nextKey: async () => {
      const key = await plugKey('memory');
      plugged.push(key);
      keys.push(key);
      return key.open;
    },
    prompts: {
      step: (step, message) => lines.push(`${step}: ${message}`),
      prompt: (kind, message) => lines.push(`${kind}! ${message}`),
    },
    record: (result) => {
      results.push(result);
      return Promise.resolve();
    },
  });
  return { results, lines, keys, outcome };
}

describe.skipIf(missing)('station bulk --direct against the local tenant', () => {
  it('programs and registers each row, seals the PINs in letters only, reports per row and resumes', async () => {
    const csv =
      'user,shippingAddress\nlina.haddad@fabrikam.example,"Storgatan 1, 211 22 Malmö"\nnobody@fabrikam.example,\nfelix.wagner@fabrikam.example,\n';
    const lettersPath = join(home, 'letters.pdf.asc');

    const dry = await run(csv, true, lettersPath);
    expect(dry.results.map((r) => r.status)).toEqual(['would-start', 'error', 'would-start']);
    expect(dry.results[1]!.error).toMatch(/USER_NOT_FOUND/);
    expect(dry.keys).toHaveLength(0);
    await expect(readdir(home)).resolves.not.toContain('letters.pdf.asc');

    const done = await run(csv, false, lettersPath);
    expect(done.results.map((r) => r.status)).toEqual(['registered', 'error', 'registered']);
    expect(done.outcome.letters).toBe(2);
    // Every credential is in the tenant, under the right user.
    for (const [index, upn] of [
      [0, 'lina.haddad@fabrikam.example'],
      [2, 'felix.wagner@fabrikam.example'],
    ] as const) {
      const user = await gateway.getUser(upn);
      const methods = await gateway.listFido2Methods(user.id);
      expect(methods.map((m) => m.id)).toContain(done.results[index]!.methodId);
      expect(done.results[index]!.aaguid).toBe(VIRTUAL_KEY_AAGUID);
    }
    // Each key now demands a new PIN.
    for (const key of done.keys) expect(key.key.info().forcePinChange).toBe(true);

    // The letters open only with the admin's private key, into a PDF whose PINs are the keys'.
    const sealed = await readFile(lettersPath, 'utf8');
    expect(sealed).toMatch(/^-----BEGIN PGP MESSAGE-----/);
    const pdf = await openPinLetters(sealed, admin.privateKey);
    expect(Buffer.from(pdf.subarray(0, 5)).toString()).toBe('%PDF-');
    const pdfPath = join(home, 'opened-for-test.pdf');
    await writeFile(pdfPath, pdf);
    const { stdout } = await promisify(execFile)('pdftotext', ['-layout', pdfPath, '-']);
    await rm(pdfPath);
    const pages = stdout.split('\f').filter((p) => p.trim() !== '');
    expect(pages).toHaveLength(2);
    const pins: string[] = [];
    for (const [page, upn, key] of [
      [pages[0]!, 'lina.haddad@fabrikam.example', done.keys[0]!],
      [pages[1]!, 'felix.wagner@fabrikam.example', done.keys[1]!],
    ] as const) {
      expect(page).toContain(upn);
      const pin = /PIN:\s*((?:\d\s*){8,})/.exec(page)?.[1]?.replace(/\s/g, '');
      expect(pin).toMatch(/^\d{8,}$/);
      pins.push(pin!);
      // Proof the letter's PIN is the key's: the key accepts it to change the PIN, and the new
      // PIN then yields a PIN token.
      const info = await key.open.ctap.getInfo();
      const clientPin = ClientPin.forInfo(key.open.ctap, info);
      await clientPin.changePin(pin!, '97315864');
      await expect(clientPin.getPinToken('97315864')).resolves.toBeDefined();
    }
    expect(pages[0]).toContain('Storgatan 1');

    // No PIN anywhere else: the results CSV, the prompts, the sealed file.
    const resultsCsv = writeResultsCsv(done.results);
    const elsewhere = [resultsCsv, done.lines.join('\n'), sealed, JSON.stringify(done.results)];
    for (const pin of pins) for (const text of elsewhere) expect(text).not.toContain(pin);
    expect(await readdir(home)).not.toContain('letters.pdf.asc.partial');

    // A rerun skipping the rows already registered does only the rest (here: the bad row again).
    const registered = new Set(
      done.results.filter((r) => r.status === 'registered').map((r) => r.upn),
    );
    const resumed = await run(csv, false, join(home, 'letters-2.pdf.asc'), registered);
    expect(resumed.results.map((r) => r.upn)).toEqual(['nobody@fabrikam.example']);
    expect(resumed.keys).toHaveLength(0);
  }, 120_000);

  it('runs from the command line with the admin certificate and --udp keys; letters print to stdout', async () => {
    const { certificatePem, pemWithKey } = await clientCertificate('CN=bulk cli');
    tenant.controls.addClientCertificate('functions', certificatePem);
    const files = {
      certificate: join(home, 'cli-cert.pem'),
      publicKey: join(home, 'it-admin.asc'),
      privateKey: join(home, 'it-admin-private.asc'),
      ca: join(home, 'tenant-ca.pem'),
      csv: join(home, 'cli.csv'),
    };
    await writeFile(files.certificate, pemWithKey, { mode: 0o600 });
    await writeFile(files.publicKey, admin.publicKey);
    await writeFile(files.privateKey, admin.privateKey, { mode: 0o600 });
    await writeFile(files.ca, tenant.caPem);
    await writeFile(files.csv, 'user\nmaja.lind@fabrikam.example\nghost@fabrikam.example\n');
    const key = await VirtualKey.create();
    const server = await serveVirtualKeyOverUdp(key, { port: 0 });
    const env = {
      ...process.env,
      STATION_HOME: home,
      STATION_TENANT_ID: tenant.tenantId,
      STATION_AUTHORITY_HOST: tenant.url,
      STATION_CA_FILE: files.ca,
      STATION_TRUST_SOFTWARE_KEYS: 'true',
    };
    const station = (...args: string[]) => runStation(args, env, 'buffer');
    try {
      const common = [
        'bulk',
        '--direct',
        '--csv',
        files.csv,
        '--app-id',
        tenant.applications.functions!.clientId,
        '--certificate',
        files.certificate,
        '--graph-url',
        tenant.url,
        '--aaguid',
        VIRTUAL_KEY_AAGUID,
        '--letters-key',
        files.publicKey,
        '--udp',
        `127.0.0.1:${server.port}`,
        '--udp-local-port',
        '0',
      ];
      const first = await station(...common);
      expect(first.code, first.stderr).toBe(1); // the unknown user's row failed
      const out = first.stdout.toString();
      expect(out).toMatch(/line 2 maja.lind@fabrikam.example: registered/);
      expect(out).toMatch(/line 3 ghost@fabrikam.example: error \(USER_NOT_FOUND/);
      const resultsText = await readFile(join(home, 'cli.results.csv'), 'utf8');
      expect(resultsText).toContain('"registered"');

      const printed = await station(
        'letters',
        'print',
        join(home, 'cli.letters.pdf.asc'),
        '--key',
        files.privateKey,
        '--stdout',
      );
      expect(printed.code, printed.stderr).toBe(0);
      expect(printed.stdout.subarray(0, 5).toString()).toBe('%PDF-');
      const pdfPath = join(home, 'cli-opened.pdf');
      await writeFile(pdfPath, printed.stdout);
      const { stdout: text } = await promisify(execFile)('pdftotext', ['-layout', pdfPath, '-']);
      await rm(pdfPath);
      const pin = /PIN:\s*((?:\d\s*){8,})/.exec(text)?.[1]?.replace(/\s/g, '');
      expect(
        createHash('sha256').update(pin!).digest().subarray(0, 16).equals(key.snapshot().pinHash!),
      ).toBe(true);
      for (const text of [out, first.stderr, resultsText, printed.stderr]) {
        expect(text).not.toContain(pin);
      }

      // A rerun resumes: the registered row is skipped, no key is touched for it.
      const again = await station(...common);
      expect(again.stdout.toString()).toContain('1 already registered');
      expect(again.stdout.toString()).not.toContain('maja.lind@fabrikam.example: registered');
    } finally {
      await server.close();
    }
  }, 120_000);
});
