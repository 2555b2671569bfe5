import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { chmod, link, mkdir, open, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalTenantError } from '../tenant/local-tenant-error.ts';
import {
  LOOPBACK_NAMES,
  issueLocalCertificateAuthority,
  issueServerCertificate,
  type IssuedCertificate,
} from './local-certificate-authority.ts';

/** `.courier/tls/` at the repository root: where every local server finds the CA and its certificate. */
export const DEFAULT_TLS_DIRECTORY = fileURLToPath(new URL('../../.courier/tls/', import.meta.url));

export interface LocalTls {
  /** The CA certificate file: give it to clients (`ca` option, NODE_EXTRA_CA_CERTS). */
  caFile: string;
  caPem: string;
  certificateFile: string;
  /** The server certificate's private key file (mode 0600), for servers that take a path. */
  privateKeyFile: string;
  certificatePem: string;
  privateKeyPem: string;
  /** What this call did: created a CA, re-issued only the server certificate, or reused both. */
  outcome: 'created' | 'renewed' | 'reused';
}

export interface EnsureLocalTlsOptions {
  directory?: string;
  now?: () => number;
}

const CA_FILE = 'ca.pem';
const CA_KEY_FILE = 'ca.key.pem';
const SERVER_FILE = 'server.pem';
const SERVER_KEY_FILE = 'server.key.pem';
const LOCK_FILE = '.lock';
const RENEW_BEFORE_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * Makes sure the state folder holds a local CA and a server certificate for the loopback names,
 * creating them on first start and reusing them afterwards, so a client that trusts the CA once
 * keeps trusting every local server. Private keys are written with mode 0600 in a 0700 folder.
 * A server certificate that is missing, expiring within 30 days, or not from this CA is re-issued;
 * an unusable CA is an error (replacing it silently would break every client that trusts it).
 * Servers starting together (the launcher starts several) serialise on a lock file.
 */
export async function ensureLocalTls(options: EnsureLocalTlsOptions = {}): Promise<LocalTls> {
  const directory = resolve(options.directory ?? DEFAULT_TLS_DIRECTORY);
  const now = options.now ?? Date.now;
  await mkdir(directory, { recursive: true, mode: 0o700 });
  const release = await acquireLock(join(directory, LOCK_FILE));
  try {
    return await ensureUnderLock(directory, new Date(now()));
  } finally {
    await release();
  }
}

async function ensureUnderLock(directory: string, now: Date): Promise<LocalTls> {
  const paths = {
    ca: join(directory, CA_FILE),
    caKey: join(directory, CA_KEY_FILE),
    server: join(directory, SERVER_FILE),
    serverKey: join(directory, SERVER_KEY_FILE),
  };
  let outcome: LocalTls['outcome'] = 'reused';
  let ca = await readPair(paths.ca, paths.caKey);
  if (ca && caProblem(ca, now) === 'expired') ca = undefined;
  if (ca) {
    const problem = caProblem(ca, now);
    if (problem) {
      throw new LocalTenantError(
        'TLS_STATE_INVALID',
        `The local CA in ${directory} cannot be used (${problem}). Delete that folder to create a new CA, then trust the new ${CA_FILE}.`,
      );
    }
  } else {
    ca = await issueLocalCertificateAuthority(now);
    await writeSecret(paths.caKey, ca.privateKeyPem);
    await writeFile(paths.ca, ca.certificatePem, { mode: 0o644 });
    outcome = 'created';
  }
  let server = outcome === 'created' ? undefined : await readPair(paths.server, paths.serverKey);
  if (!server || !serverCertificateUsable(server, ca, now)) {
    server = await issueServerCertificate(ca, now);
    await writeSecret(paths.serverKey, server.privateKeyPem);
    await writeFile(paths.server, server.certificatePem, { mode: 0o644 });
    if (outcome === 'reused') outcome = 'renewed';
  }
  return {
    caFile: paths.ca,
    caPem: ca.certificatePem,
    certificateFile: paths.server,
    privateKeyFile: paths.serverKey,
    certificatePem: server.certificatePem,
    privateKeyPem: server.privateKeyPem,
    outcome,
  };
}

async function readPair(
  certificatePath: string,
  keyPath: string,
): Promise<IssuedCertificate | undefined> {
  const [certificatePem, privateKeyPem] = await Promise.all([
    readOptional(certificatePath),
    readOptional(keyPath),
  ]);
  if (certificatePem === undefined && privateKeyPem === undefined) return undefined;
  if (certificatePem === undefined || privateKeyPem === undefined) {
    if (certificatePath.endsWith(CA_FILE)) {
      throw new LocalTenantError(
        'TLS_STATE_INVALID',
        `${certificatePem === undefined ? certificatePath : keyPath} is missing while its pair exists. Delete ${resolve(certificatePath, '..')} to start over.`,
      );
    }
    return undefined;
  }
  return { certificatePem, privateKeyPem };
}

function caProblem(ca: IssuedCertificate, now: Date): string | undefined {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(ca.certificatePem);
  } catch {
    return `${CA_FILE} is not a PEM certificate`;
  }
  if (!certificate.ca) return `${CA_FILE} is not a CA certificate`;
  if (new Date(certificate.validTo).getTime() - RENEW_BEFORE_MS < now.getTime()) return 'expired';
  if (!keyMatches(certificate, ca.privateKeyPem)) return `${CA_KEY_FILE} does not match ${CA_FILE}`;
  return undefined;
}

function serverCertificateUsable(
  server: IssuedCertificate,
  ca: IssuedCertificate,
  now: Date,
): boolean {
  try {
    const certificate = new X509Certificate(server.certificatePem);
    const authority = new X509Certificate(ca.certificatePem);
    return (
      certificate.checkIssued(authority) &&
      certificate.verify(authority.publicKey) &&
      new Date(certificate.validTo).getTime() - RENEW_BEFORE_MS > now.getTime() &&
      new Date(certificate.validFrom).getTime() <= now.getTime() &&
      LOOPBACK_NAMES.every((n) =>
        n.type === 'dns' ? certificate.checkHost(n.value) : certificate.checkIP(n.value),
      ) &&
      keyMatches(certificate, server.privateKeyPem)
    );
  } catch {
    return false;
  }
}

function keyMatches(certificate: X509Certificate, privateKeyPem: string): boolean {
  try {
    const derived = createPublicKey(createPrivateKey(privateKeyPem));
    return derived.equals(certificate.publicKey);
  } catch {
    return false;
  }
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Writes a private key readable by its owner only; chmod also fixes a file that existed before. */
async function writeSecret(path: string, pem: string): Promise<void> {
  await writeFile(path, pem, { mode: 0o600 });
  await chmod(path, 0o600);
}

/**
 * A lock file created exclusively; a lock older than 30 s is a crashed holder's and is broken.
 * Waits up to 20 s, which is far more than issuing two certificates takes.
 */
async function acquireLock(path: string): Promise<() => Promise<void>> {
  const deadline = Date.now() + 20_000;
  const token = `${process.pid}-${Math.random().toString(36).slice(2)}`;
  for (;;) {
    try {
      const temporary = `${path}.${token}`;
      const handle = await open(temporary, 'w', 0o600);
      await handle.close();
      try {
        await link(temporary, path);
      } finally {
        await unlink(temporary);
      }
      return () => rm(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = await stat(path).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age > 30_000) await rm(path, { force: true });
      else if (Date.now() > deadline) {
        throw new LocalTenantError(
          'TLS_STATE_INVALID',
          `Another process holds ${path}; remove it if no local server is starting.`,
        );
      } else await new Promise((r) => setTimeout(r, 50));
    }
  }
}
