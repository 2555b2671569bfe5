import { X509Certificate as NodeCertificate, webcrypto } from 'node:crypto';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
// The ASN.1 classes under @peculiar/x509: a point with two locations, a partitioned CRL.
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  DistributionPoint,
  DistributionPointName,
  GeneralName,
  IssuingDistributionPoint,
  Reason,
  ReasonFlags,
  id_ce_issuingDistributionPoint,
} from '@peculiar/asn1-x509';
import { describe, expect, it } from 'vitest';
import {
  CertificateRevocationError,
  checkRevocation,
  crlNextUpdate,
  type ChainLink,
  type CrlFetcher,
} from '../../../core/graph/certificate-revocation.ts';
import { CrlIssuer } from '../../../local/tenant/mds/crl-issuer.ts';
import { rejection } from '../../support/caught.ts';

const crypto = webcrypto as unknown as Crypto;
const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;
const now = new Date('2026-11-28T12:00:00Z');
const ROOT_CRL = 'http://crl.example/root.crl';
const CA_CRL = 'http://crl.example/ca.crl';

interface Authority {
  certificate: x509.X509Certificate;
  keys: CryptoKeyPair;
}

/** GlobalSign Root CA - R3 and the FIDO Alliance's chain under it are RSA with SHA-256. */
const RSA = {
  name: 'RSASSA-PKCS1-v1_5',
  hash: 'SHA-256',
  publicExponent: new Uint8Array([1, 0, 1]),
  modulusLength: 2048,
} as const;
type KeyAlgorithm = typeof EC | typeof RSA;

async function issue(
  subject: string,
  serialNumber: string,
  issuer: Authority | undefined,
  extensions: x509.Extension[],
  algorithm: KeyAlgorithm,
): Promise<Authority> {
  const keys = await crypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const common = {
    serialNumber,
    notBefore: new Date(now.getTime() - DAY),
    notAfter: new Date(now.getTime() + 365 * DAY),
    signingAlgorithm: algorithm,
    extensions,
  };
  const certificate = issuer
    ? await x509.X509CertificateGenerator.create(
        {
          ...common,
          subject,
          issuer: issuer.certificate.subject,
          publicKey: keys.publicKey,
          signingKey: issuer.keys.privateKey,
        },
        crypto,
      )
    : await x509.X509CertificateGenerator.createSelfSigned(
        { ...common, name: subject, keys },
        crypto,
      );
  return { certificate, keys };
}

const CA_USAGE = x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign;

/**
 * root -> CA -> leaf, the CA naming the root's CRL; the leaf names the CA's (default), the
 * distribution points given (one per URL), one point with several locations, or none (null).
 */
async function pki(
  options: {
    leafPoints?: string[] | null;
    leafMirrors?: string[];
    caUsage?: x509.KeyUsageFlags;
    algorithm?: KeyAlgorithm;
  } = {},
) {
  const algorithm = options.algorithm ?? EC;
  const root = await issue(
    'CN=Test Root',
    '01',
    undefined,
    [
      new x509.BasicConstraintsExtension(true, 1, true),
      new x509.KeyUsagesExtension(CA_USAGE, true),
    ],
    algorithm,
  );
  const ca = await issue(
    'CN=Test CA',
    '0a',
    root,
    [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(options.caUsage ?? CA_USAGE, true),
      new x509.CRLDistributionPointsExtension([ROOT_CRL]),
    ],
    algorithm,
  );
  const leafPoints = options.leafPoints === undefined ? [CA_CRL] : options.leafPoints;
  const leaf = await issue(
    'CN=Test Signer',
    '0b0c',
    ca,
    [
      new x509.BasicConstraintsExtension(false, undefined, true),
      ...(options.leafMirrors
        ? [
            new x509.CRLDistributionPointsExtension([
              new DistributionPoint({
                distributionPoint: new DistributionPointName({
                  fullName: options.leafMirrors.map(
                    (uri) => new GeneralName({ uniformResourceIdentifier: uri }),
                  ),
                }),
              }),
            ]),
          ]
        : leafPoints
          ? [new x509.CRLDistributionPointsExtension(leafPoints)]
          : []),
    ],
    algorithm,
  );
  const node = (a: Authority) => new NodeCertificate(Buffer.from(a.certificate.rawData));
  const links: ChainLink[] = [
    { certificate: node(leaf), issuer: node(ca), label: 'x5c[0]' },
    { certificate: node(ca), issuer: node(root), label: 'x5c[1]' },
  ];
  return {
    root,
    ca,
    leaf,
    links,
    rootCrls: new CrlIssuer(root.certificate, root.keys.privateKey, {
      signingAlgorithm: algorithm,
    }),
    caCrls: new CrlIssuer(ca.certificate, ca.keys.privateKey, { signingAlgorithm: algorithm }),
  };
}

type Pki = Awaited<ReturnType<typeof pki>>;

/** Serves each issuer's current CRL at its URL; `override` replaces what one URL answers. */
function fetcher(
  p: Pki,
  override: Record<string, () => Promise<Uint8Array | string>> = {},
): CrlFetcher & { calls: string[] } {
  const calls: string[] = [];
  const fetch = async (url: string) => {
    calls.push(url);
    if (override[url]) return override[url]();
    if (url === ROOT_CRL) return p.rootCrls.crl(now.getTime());
    if (url === CA_CRL) return p.caCrls.crl(now.getTime());
    throw new Error('connect ECONNREFUSED');
  };
  return Object.assign(fetch, { calls });
}

function refusal(links: ChainLink[], fetch: CrlFetcher) {
  return rejection(CertificateRevocationError, checkRevocation(links, fetch, now));
}

describe('certificate revocation by CRL', () => {
  it('passes a chain whose CRLs are current, signed by each issuer and list nothing of it', async () => {
    const p = await pki();
    p.caCrls.revoke('99', now, 'superseded'); // another certificate of the CA
    const fetch = fetcher(p);
    await checkRevocation(p.links, fetch, now);
    expect(fetch.calls).toEqual([CA_CRL, ROOT_CRL]);
    expect(crlNextUpdate(await p.caCrls.crl(now.getTime()))).toEqual(
      new Date(now.getTime() + 7 * DAY),
    );
  });

  it('checks an RSA chain and its RSA-signed CRLs, as GlobalSign issues them', async () => {
    const p = await pki({ algorithm: RSA });
    await checkRevocation(p.links, fetcher(p), now);
    p.caCrls.revoke('0b0c', now, 'superseded');
    expect((await refusal(p.links, fetcher(p))).message).toMatch(
      /was revoked on .* \(superseded\)/,
    );
    const forged = new CrlIssuer(p.ca.certificate, p.root.keys.privateKey, {
      signingAlgorithm: RSA,
    });
    expect(
      (await refusal(p.links, fetcher(p, { [CA_CRL]: () => forged.crl(now.getTime()) }))).message,
    ).toMatch(/signature does not verify/);
  });

  it('reads PEM CRLs as well as DER', async () => {
    const p = await pki();
    const pem = async (issuer: CrlIssuer) =>
      new x509.X509Crl(toArrayBuffer(await issuer.crl(now.getTime()))).toString('pem');
    await checkRevocation(
      p.links,
      fetcher(p, {
        [CA_CRL]: () => pem(p.caCrls),
        [ROOT_CRL]: async () => Buffer.from(await pem(p.rootCrls)),
      }),
      now,
    );
  });

  it('refuses a revoked certificate, naming it, its serial, the date and the reason', async () => {
    const p = await pki();
    const at = new Date('2026-11-27T08:30:00Z');
    p.caCrls.revoke('0b0c', at, 'keyCompromise');
    const error = await refusal(p.links, fetcher(p));
    expect(error.code).toBe('REVOKED');
    expect(error.message).toBe(
      'x5c[0] (CN=Test Signer, serial 0b0c) was revoked on 2026-11-27T08:30:00.000Z (keyCompromise) by CN=Test CA.',
    );
    expect(error.fingerprint256).toBe(p.links[0]!.certificate.fingerprint256);
  });

  it('refuses a revoked intermediate', async () => {
    const p = await pki();
    p.rootCrls.revoke('0a', now, 'cACompromise');
    const error = await refusal(p.links, fetcher(p));
    expect(error.message).toMatch(
      /^x5c\[1\] \(CN=Test CA, serial 0a\) was revoked .* \(cACompromise\)/,
    );
  });

  it('refuses when a CRL cannot be retrieved, and uses a mirror of the same point that answers', async () => {
    const p = await pki();
    const down = { [CA_CRL]: () => Promise.reject(new Error('The CRL at … answered 503.')) };
    const error = await refusal(p.links, fetcher(p, down));
    expect(error.code).toBe('CRL_UNAVAILABLE');
    expect(error.message).toBe(
      `the CRL of x5c[0] (CN=Test Signer, serial 0b0c) cannot be retrieved (${CA_CRL}: The CRL at … answered 503.).`,
    );
    const mirrored = await pki({ leafMirrors: ['http://down.example/ca.crl', CA_CRL] });
    const fetch = fetcher(mirrored);
    await checkRevocation(mirrored.links, fetch, now);
    expect(fetch.calls).toEqual(['http://down.example/ca.crl', CA_CRL, ROOT_CRL]);
    // Two distribution points are two CRLs: each must be had.
    const two = await pki({ leafPoints: [CA_CRL, 'http://down.example/ca.crl'] });
    expect((await refusal(two.links, fetcher(two))).message).toMatch(
      /cannot be retrieved \(http:\/\/down\.example\/ca\.crl: connect ECONNREFUSED\)/,
    );
  });

  it('refuses a CRL whose signature does not verify with the issuer key', async () => {
    const p = await pki();
    const forged = new CrlIssuer(p.ca.certificate, p.root.keys.privateKey);
    const error = await refusal(p.links, fetcher(p, { [CA_CRL]: () => forged.crl(now.getTime()) }));
    expect(error.code).toBe('CRL_INVALID');
    expect(error.message).toMatch(
      /cannot be relied on .*signature does not verify with CN=Test CA's key/,
    );
  });

  it('refuses a CRL past its nextUpdate, or not yet issued', async () => {
    const p = await pki();
    const stale = await refusal(
      p.links,
      fetcher(p, { [CA_CRL]: () => p.caCrls.crl(now.getTime() - 8 * DAY) }),
    );
    expect(stale.code).toBe('CRL_INVALID');
    expect(stale.message).toMatch(/out of date \(nextUpdate 2026-11-27T12:00:00.000Z\)/);
    const early = await refusal(
      p.links,
      fetcher(p, { [CA_CRL]: () => p.caCrls.crl(now.getTime() + DAY) }),
    );
    expect(early.message).toMatch(/not yet valid/);
  });

  it("refuses another issuer's CRL, garbage, and an issuer not allowed to sign CRLs", async () => {
    const p = await pki();
    const other = await refusal(
      p.links,
      fetcher(p, { [CA_CRL]: () => p.rootCrls.crl(now.getTime()) }),
    );
    expect(other.message).toMatch(/issued by CN=Test Root, not by the certificate's issuer/);
    const garbage = await refusal(
      p.links,
      fetcher(p, { [CA_CRL]: () => Promise.resolve(Buffer.from('<html>')) }),
    );
    expect(garbage.code).toBe('CRL_INVALID');
    expect(garbage.message).toMatch(/not a DER or PEM CRL/);
    const noCrlSign = await pki({ caUsage: x509.KeyUsageFlags.keyCertSign });
    expect((await refusal(noCrlSign.links, fetcher(noCrlSign))).message).toMatch(
      /CN=Test CA may not sign CRLs/,
    );
  });

  it('refuses a CRL with a critical extension it does not process (a delta or partitioned CRL)', async () => {
    const p = await pki();
    const delta = await x509.X509CrlGenerator.create(
      {
        issuer: p.ca.certificate.subjectName,
        thisUpdate: now,
        nextUpdate: new Date(now.getTime() + DAY),
        signingAlgorithm: EC,
        signingKey: p.ca.keys.privateKey,
        extensions: [new x509.Extension('2.5.29.27', true, new Uint8Array([2, 1, 1]).buffer)],
      },
      crypto,
    );
    const error = await refusal(
      p.links,
      fetcher(p, { [CA_CRL]: () => Promise.resolve(new Uint8Array(delta.rawData)) }),
    );
    expect(error.message).toMatch(/critical extension 2\.5\.29\.27 not processed/);
  });

  it('reads a partitioned CRL: its issuing distribution point must name this point and cover this kind of certificate', async () => {
    const p = await pki();
    const scoped = (url: string, covers?: 'ca' | 'end-entity') => ({
      [CA_CRL]: () =>
        new CrlIssuer(p.ca.certificate, p.ca.keys.privateKey, { scope: { url, covers } }).crl(
          now.getTime(),
        ),
      [ROOT_CRL]: () =>
        new CrlIssuer(p.root.certificate, p.root.keys.privateKey, {
          scope: { url: ROOT_CRL, covers: 'ca' },
        }).crl(now.getTime()),
    });
    await checkRevocation(p.links, fetcher(p, scoped(CA_CRL)), now);
    await checkRevocation(p.links, fetcher(p, scoped(CA_CRL, 'end-entity')), now);
    expect((await refusal(p.links, fetcher(p, scoped(CA_CRL, 'ca')))).message).toMatch(
      /x5c\[0\] .* cannot be relied on .*it covers CA certificates only/,
    );
    expect(
      (await refusal(p.links, fetcher(p, scoped('http://crl.example/other.crl')))).message,
    ).toMatch(
      /its scope \(http:\/\/crl\.example\/other\.crl\) is not the distribution point the certificate names/,
    );
    const byReason = await x509.X509CrlGenerator.create(
      {
        issuer: p.ca.certificate.subjectName,
        thisUpdate: now,
        nextUpdate: new Date(now.getTime() + DAY),
        signingAlgorithm: EC,
        signingKey: p.ca.keys.privateKey,
        extensions: [
          new x509.Extension(
            id_ce_issuingDistributionPoint,
            true,
            AsnConvert.serialize(
              new IssuingDistributionPoint({
                onlySomeReasons: new Reason(ReasonFlags.keyCompromise),
              }),
            ),
          ),
        ],
      },
      crypto,
    );
    expect(
      (
        await refusal(
          p.links,
          fetcher(p, { [CA_CRL]: () => Promise.resolve(new Uint8Array(byReason.rawData)) }),
        )
      ).message,
    ).toMatch(/lists only some revocation reasons/);
  });

  it('refuses a certificate that names no http(s) CRL distribution point', async () => {
    for (const leafPoints of [
      null,
      ['ldap://directory.example/cn=Test%20CA?certificateRevocationList'],
    ]) {
      const p = await pki({ leafPoints });
      const fetch = fetcher(p);
      const error = await refusal(p.links, fetch);
      expect(error.code).toBe('NO_DISTRIBUTION_POINT');
      expect(error.message).toBe(
        'x5c[0] (CN=Test Signer, serial 0b0c) names no http(s) CRL distribution point, so its revocation cannot be checked.',
      );
      expect(fetch.calls).toEqual([]);
    }
  });
});

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
