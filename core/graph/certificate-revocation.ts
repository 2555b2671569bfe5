import { webcrypto, type X509Certificate as NodeCertificate } from 'node:crypto';
// @peculiar/x509 resolves its algorithms through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { AsnConvert } from '@peculiar/asn1-schema';
import { IssuingDistributionPoint, id_ce_issuingDistributionPoint } from '@peculiar/asn1-x509';
import { CourierError } from '../courier-error.ts';

const crypto = webcrypto as unknown as Crypto;

export type CertificateRevocationCode =
  /** The certificate's serial is on its issuer's CRL. */
  | 'REVOKED'
  /** The certificate names no http(s) CRL distribution point: its status cannot be known. */
  | 'NO_DISTRIBUTION_POINT'
  /** No CRL could be fetched from any location of a distribution point. */
  | 'CRL_UNAVAILABLE'
  /** A CRL was fetched but cannot be relied on: unparseable, wrong issuer or signature, stale. */
  | 'CRL_INVALID';

/** Why a certificate's revocation check failed; `certificate` says which one, for the message and callers. */
export class CertificateRevocationError extends CourierError<CertificateRevocationCode> {
  /** SHA-256 fingerprint (node:crypto's colon form) of the certificate concerned. */
  readonly fingerprint256: string;

  constructor(
    code: CertificateRevocationCode,
    message: string,
    fingerprint256: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.fingerprint256 = fingerprint256;
  }
}

/** Fetches the CRL at a URL: DER (what RFC 5280 §4.2.1.13 asks of http CRLs) or PEM. */
export type CrlFetcher = (url: string) => Promise<Uint8Array | string>;

/** One link of a verified chain: a certificate, the certificate that issued it, and how to name it. */
export interface ChainLink {
  certificate: NodeCertificate;
  issuer: NodeCertificate;
  /** How messages name the certificate, e.g. "x5c[0]". */
  label: string;
}

// A CRL issued "in the future" by a few minutes is the CA's clock ahead of ours (or one issued
// while we were verifying: thisUpdate has whole seconds); it is still the CA's signed statement.
// nextUpdate gets no such grace: a stale CRL is refused.
const CLOCK_SKEW_MS = 5 * 60_000;

// CRL extensions this check understands; any other critical one makes the CRL unusable
// (RFC 5280 §5.2): the delta CRL indicator (2.5.29.27) is deliberately not among them, so a delta
// CRL is refused rather than read as complete.
const UNDERSTOOD_CRL_EXTENSIONS = new Set([
  '2.5.29.20', // CRL number
  '2.5.29.35', // authority key identifier
  id_ce_issuingDistributionPoint, // its scope, checked in checkScope
]);

/**
 * Checks every link of a certificate chain (the trust anchor itself is not a link: it is trusted
 * as configured, as RFC 5280 path validation treats anchors) against its issuer's CRLs, as FIDO
 * MDS3 §3.2 asks of the BLOB's chain ("All certificates in the chain MUST be checked for
 * revocation according to [RFC5280]"). For each certificate, each CRL distribution point is
 * fetched (its several URIs are mirrors of one CRL: the first that answers is used), parsed (DER
 * or PEM), and must be issued by the certificate's issuer, signed by its key (which, when it has
 * a key usage, must allow cRLSign), current (thisUpdate ≤ now, give or take 5 minutes of clock
 * skew; now ≤ nextUpdate, strictly), free of critical extensions this check does not process, and,
 * when it has an issuing distribution point, scoped to this certificate; then the certificate's
 * serial must not be listed.
 *
 * A certificate without an http(s) distribution point is refused (NO_DISTRIBUTION_POINT): the
 * spec requires its revocation be checked and there is nothing to check it against. This fails
 * closed like Yubico's java-webauthn-server (PKIX with revocation on: "undetermined revocation
 * status" fails the BLOB). Python-fido2's parse_blob checks no revocation at all, which the spec
 * does not allow. The FIDO Alliance's chain (its signer, under a GlobalSign issuing CA, under Root
 * CA - R3) names crl.globalsign.com distribution points on both certificates below the root, so
 * failing closed costs nothing real.
 */
export async function checkRevocation(
  links: readonly ChainLink[],
  fetchCrl: CrlFetcher,
  now: Date,
): Promise<void> {
  for (const link of links) await checkLink(link, fetchCrl, now);
}

async function checkLink(link: ChainLink, fetchCrl: CrlFetcher, now: Date): Promise<void> {
  const certificate = new x509.X509Certificate(link.certificate.raw);
  const issuer = new x509.X509Certificate(link.issuer.raw);
  const fingerprint = link.certificate.fingerprint256;
  const name = `${link.label} (${certificate.subject}, serial ${certificate.serialNumber})`;
  const fail = (code: CertificateRevocationCode, message: string, cause?: unknown) =>
    new CertificateRevocationError(code, message, fingerprint, cause ? { cause } : {});

  const points = distributionPoints(certificate);
  if (points.length === 0)
    throw fail(
      'NO_DISTRIBUTION_POINT',
      `${name} names no http(s) CRL distribution point, so its revocation cannot be checked.`,
    );
  for (const urls of points) {
    const failures: string[] = [];
    let crl: x509.X509Crl | undefined;
    let lastCause: unknown;
    for (const url of urls) {
      try {
        crl = parseCrl(await fetchCrl(url));
        await checkCrl(crl, issuer, now);
        checkScope(crl, certificate, urls);
        break;
      } catch (cause) {
        crl = undefined;
        lastCause = cause;
        failures.push(`${url}: ${(cause as Error).message}`);
      }
    }
    if (!crl) {
      const invalid = lastCause instanceof CrlProblem;
      throw fail(
        invalid ? 'CRL_INVALID' : 'CRL_UNAVAILABLE',
        `the CRL of ${name} ${invalid ? 'cannot be relied on' : 'cannot be retrieved'} (${failures.join('; ')}).`,
        lastCause,
      );
    }
    const entry = crl.findRevoked(certificate.serialNumber);
    if (entry) {
      const reason = entry.reason === undefined ? '' : ` (${x509.X509CrlReason[entry.reason]})`;
      throw fail(
        'REVOKED',
        `${name} was revoked on ${entry.revocationDate.toISOString()}${reason} by ${crl.issuer}.`,
      );
    }
  }
}

/** A CRL that was fetched but cannot be used: told apart from one not retrieved. */
class CrlProblem extends Error {}

function parseCrl(fetched: Uint8Array | string): x509.X509Crl {
  // Served PEM arrives as bytes too; DER never starts with "-----".
  const text =
    typeof fetched === 'string'
      ? fetched
      : Buffer.from(fetched.subarray(0, 5)).toString('latin1') === '-----'
        ? Buffer.from(fetched).toString('ascii')
        : undefined;
  try {
    return new x509.X509Crl(text ?? toArrayBuffer(fetched as Uint8Array));
  } catch (cause) {
    throw new CrlProblem(`it is not a DER or PEM CRL (${(cause as Error).message})`);
  }
}

async function checkCrl(crl: x509.X509Crl, issuer: x509.X509Certificate, now: Date): Promise<void> {
  if (!equalBytes(crl.issuerName.toArrayBuffer(), issuer.subjectName.toArrayBuffer()))
    throw new CrlProblem(`it is issued by ${crl.issuer}, not by the certificate's issuer`);
  const usage = issuer.getExtension(x509.KeyUsagesExtension);
  if (usage && !(usage.usages & x509.KeyUsageFlags.cRLSign))
    throw new CrlProblem(`its issuer ${issuer.subject} may not sign CRLs (key usage)`);
  let verified: boolean;
  try {
    verified = await crl.verify({ publicKey: issuer }, crypto);
  } catch (cause) {
    throw new CrlProblem(`its signature cannot be checked: ${(cause as Error).message}`);
  }
  if (!verified) throw new CrlProblem(`its signature does not verify with ${issuer.subject}'s key`);
  if (now.getTime() + CLOCK_SKEW_MS < crl.thisUpdate.getTime())
    throw new CrlProblem(`it is not yet valid (thisUpdate ${crl.thisUpdate.toISOString()})`);
  if (!crl.nextUpdate) throw new CrlProblem('it has no nextUpdate, so it cannot be known current');
  if (now > crl.nextUpdate)
    throw new CrlProblem(`it is out of date (nextUpdate ${crl.nextUpdate.toISOString()})`);
  const unknown = crl.extensions.find((e) => e.critical && !UNDERSTOOD_CRL_EXTENSIONS.has(e.type));
  if (unknown) throw new CrlProblem(`it has a critical extension ${unknown.type} not processed`);
}

/**
 * A CRL with an issuing distribution point covers only part of its issuer's certificates (RFC
 * 5280 §5.2.5, §6.3.3 b.2): it must be the one this certificate's distribution point names and
 * cover this kind of certificate. Partitions by reason and indirect CRLs are refused: a "not
 * listed" there does not mean "not revoked".
 */
function checkScope(
  crl: x509.X509Crl,
  certificate: x509.X509Certificate,
  pointUrls: readonly string[],
): void {
  const extension = crl.extensions.find((e) => e.type === id_ce_issuingDistributionPoint);
  if (!extension) return;
  let scope: IssuingDistributionPoint;
  try {
    scope = AsnConvert.parse(extension.value, IssuingDistributionPoint);
  } catch (cause) {
    throw new CrlProblem(
      `its issuing distribution point does not parse (${(cause as Error).message})`,
    );
  }
  if (scope.indirectCRL) throw new CrlProblem('it is an indirect CRL, which is not processed');
  if (scope.onlySomeReasons)
    throw new CrlProblem('it lists only some revocation reasons, so it cannot clear a certificate');
  const isCa = certificate.getExtension(x509.BasicConstraintsExtension)?.ca === true;
  if (scope.onlyContainsAttributeCerts || (scope.onlyContainsCACerts && !isCa))
    throw new CrlProblem(
      `it covers ${scope.onlyContainsCACerts ? 'CA' : 'attribute'} certificates only`,
    );
  if (scope.onlyContainsUserCerts && isCa)
    throw new CrlProblem('it covers end-entity certificates only, and this one is a CA');
  const point = scope.distributionPoint;
  if (point) {
    const names = (point.fullName ?? []).map((n) => n.uniformResourceIdentifier);
    if (!names.some((name) => name !== undefined && pointUrls.includes(name)))
      throw new CrlProblem(
        `its scope (${names.filter(Boolean).join(', ') || 'a relative name'}) is not the distribution point the certificate names`,
      );
  }
}

/**
 * The certificate's CRL distribution points, each as its http(s) URIs (the names of one point are
 * alternative locations of the same CRL); points with no http(s) URI (LDAP, relative names) are
 * left out, so a certificate with only those counts as having none.
 */
export function distributionPoints(certificate: x509.X509Certificate): string[][] {
  const extension = certificate.getExtension(x509.CRLDistributionPointsExtension);
  if (!extension) return [];
  return extension.distributionPoints
    .map((point) =>
      (point.distributionPoint?.fullName ?? [])
        .map((name) => name.uniformResourceIdentifier)
        .filter((uri): uri is string => !!uri && /^https?:\/\//i.test(uri)),
    )
    .filter((urls) => urls.length > 0);
}

/** When a CRL says the next one is due, or undefined when it does not parse or does not say. */
export function crlNextUpdate(crl: Uint8Array | string): Date | undefined {
  try {
    return parseCrl(crl).nextUpdate;
  } catch {
    return undefined;
  }
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

function equalBytes(a: ArrayBuffer, b: ArrayBuffer): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}
