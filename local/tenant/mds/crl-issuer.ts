import { webcrypto } from 'node:crypto';
// @peculiar/x509 resolves its algorithms through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  DistributionPointName,
  GeneralName,
  IssuingDistributionPoint,
  id_ce_issuingDistributionPoint,
} from '@peculiar/asn1-x509';

const crypto = webcrypto as unknown as Crypto;
const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const HOUR = 3_600_000;

/** How often a CA of the local metadata issues a new CRL, and how long each one is good for. */
export const CRL_REISSUE_MS = 24 * HOUR;
export const CRL_LIFETIME_MS = 7 * 24 * HOUR;

export type RevocationReason = keyof typeof x509.X509CrlReason;

/**
 * One CA of the local metadata chain issuing its CRL the way public CAs do: a new CRL every day,
 * each good for a week (nextUpdate = thisUpdate + 7 days; GlobalSign's issuing-CA CRLs are on a
 * similar cycle), reissued at once when a certificate is revoked. DER, as RFC 5280 §4.2.1.13 asks
 * of CRLs served over http(s).
 */
export class CrlIssuer {
  private readonly issuer: x509.X509Certificate;
  private readonly signingKey: CryptoKey;
  private readonly signingAlgorithm: Algorithm | EcdsaParams;
  private readonly scope: { url: string; covers?: 'ca' | 'end-entity' } | undefined;
  private readonly revoked = new Map<string, { date: Date; reason: RevocationReason }>();
  private issued: { der: Buffer; thisUpdate: number; revision: number } | undefined;
  private revision = 0;
  private crlNumber = 0;

  /**
   * `signingAlgorithm` matches the CA's key: ECDSA P-256 (the local chain's) unless told. With
   * `scope`, each CRL carries a critical issuing distribution point naming the URL it is served at
   * and which certificates it covers, as partitioned CRLs of public CAs do.
   */
  constructor(
    issuer: x509.X509Certificate,
    signingKey: CryptoKey,
    options: {
      signingAlgorithm?: Algorithm | EcdsaParams;
      scope?: { url: string; covers?: 'ca' | 'end-entity' };
    } = {},
  ) {
    this.issuer = issuer;
    this.signingKey = signingKey;
    this.signingAlgorithm = options.signingAlgorithm ?? EC;
    this.scope = options.scope;
  }

  /** Lists a certificate it issued (hexadecimal serial) from the next CRL on. */
  revoke(serialNumber: string, date: Date, reason: RevocationReason): void {
    if (!(reason in x509.X509CrlReason) || !Number.isNaN(Number(reason)))
      throw new Error(
        `${reason} is not a CRL reason; one of ${Object.keys(x509.X509CrlReason)
          .filter((k) => Number.isNaN(Number(k)))
          .join(', ')}.`,
      );
    this.revoked.set(serialNumber.toLowerCase(), { date, reason });
    this.revision += 1;
  }

  isRevoked(serialNumber: string): boolean {
    return this.revoked.has(serialNumber.toLowerCase());
  }

  /** Back to no revocations (the test controls' reset). */
  clear(): void {
    this.revoked.clear();
    this.revision += 1;
  }

  /** The current CRL (DER) at `now`, by the tenant's clock. */
  async crl(now: number): Promise<Buffer> {
    const issued = this.issued;
    if (
      issued &&
      issued.revision === this.revision &&
      issued.thisUpdate <= now &&
      now < issued.thisUpdate + CRL_REISSUE_MS
    )
      return issued.der;
    this.crlNumber += 1;
    const crl = await x509.X509CrlGenerator.create(
      {
        issuer: this.issuer.subjectName,
        thisUpdate: new Date(now),
        nextUpdate: new Date(now + CRL_LIFETIME_MS),
        signingAlgorithm: this.signingAlgorithm,
        signingKey: this.signingKey,
        entries: [...this.revoked].map(([serialNumber, { date, reason }]) => ({
          serialNumber,
          revocationDate: date,
          reason: x509.X509CrlReason[reason],
        })),
        extensions: [
          new x509.Extension('2.5.29.20', false, crlNumber(this.crlNumber)),
          await x509.AuthorityKeyIdentifierExtension.create(this.issuer.publicKey, false, crypto),
          ...(this.scope ? [issuingDistributionPoint(this.scope)] : []),
        ],
      },
      crypto,
    );
    const der = Buffer.from(crl.rawData);
    this.issued = { der, thisUpdate: now, revision: this.revision };
    return der;
  }
}

/** RFC 5280 §5.2.5, always critical: where this CRL is served and which certificates it covers. */
function issuingDistributionPoint(scope: { url: string; covers?: 'ca' | 'end-entity' }) {
  const value = new IssuingDistributionPoint({
    distributionPoint: new DistributionPointName({
      fullName: [new GeneralName({ uniformResourceIdentifier: scope.url })],
    }),
    onlyContainsCACerts: scope.covers === 'ca',
    onlyContainsUserCerts: scope.covers === 'end-entity',
  });
  return new x509.Extension(id_ce_issuingDistributionPoint, true, AsnConvert.serialize(value));
}

/** The CRL number extension's value: a DER INTEGER (small, positive). */
function crlNumber(n: number): ArrayBuffer {
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  if (bytes.length === 0 || bytes[0]! >= 0x80) bytes.unshift(0);
  return new Uint8Array([0x02, bytes.length, ...bytes]).buffer;
}
