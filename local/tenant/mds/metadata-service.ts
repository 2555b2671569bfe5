import { X509Certificate, createPrivateKey, webcrypto } from 'node:crypto';
import { SignJWT } from 'jose';
// @peculiar/x509 resolves its algorithms through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { modelForAaguid } from '../graph/aaguid-models.ts';
import type { TenantSeed } from '../seed/tenant-seed.ts';
import { CrlIssuer, type RevocationReason } from './crl-issuer.ts';

const crypto = webcrypto as unknown as Crypto;
const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;

/** One authenticator of the blob: an MDS3 metadataBLOBPayloadEntry, with what Entra reads. */
export interface MetadataEntry {
  aaguid: string;
  description: string;
  /** Attestation roots, PEM. */
  rootsPem: string[];
}

/** Where the CRLs are served, under the MDS path: `${origin}/mds3/crl/{name}.crl`. */
export const CRL_NAMES = ['root', 'ca'] as const;
export type CrlName = (typeof CRL_NAMES)[number];

/**
 * The local tenant's FIDO Metadata Service: an MDS3 BLOB (a JWT whose header carries the x5c
 * chain of its signer), listing the seed's authenticators with their attestation roots. Entra
 * decides enforced attestation from MDS; so does the tenant (`rootsFor`), and the service's
 * preflight reads the same blob. Its chain is shaped like the FIDO Alliance's: a local "metadata
 * root" (instead of GlobalSign Root CA - R3) issues a CA, which issues the BLOB signer; the CA and
 * the signer each name a CRL distribution point on the tenant's own origin, where their issuer's
 * CRL is served, so a consumer must check revocation as it must against the real service.
 */
export class MetadataService {
  readonly entries: readonly MetadataEntry[];
  /** The metadata root that signed the BLOB's signer: what a consumer must trust. */
  readonly rootPem: string;
  /** The CRL URLs the chain names, by CRL. */
  readonly crlUrls: Readonly<Record<CrlName, string>>;
  private readonly blob: string;
  private readonly issuers: Record<CrlName, CrlIssuer>;
  private readonly signerSerial: string;
  private crlsAvailable = true;

  private constructor(init: {
    entries: MetadataEntry[];
    rootPem: string;
    blob: string;
    crlUrls: Record<CrlName, string>;
    issuers: Record<CrlName, CrlIssuer>;
    signerSerial: string;
  }) {
    this.entries = init.entries;
    this.rootPem = init.rootPem;
    this.blob = init.blob;
    this.crlUrls = init.crlUrls;
    this.issuers = init.issuers;
    this.signerSerial = init.signerSerial;
  }

  /** `origin` is the tenant's own https origin, where `/mds3/crl/*.crl` is served. */
  static async create(seed: TenantSeed, now: Date, origin: string): Promise<MetadataService> {
    const entries = seed.attestationRoots.flatMap((root) =>
      root.aaguids.map((aaguid) => ({
        aaguid: aaguid.toLowerCase(),
        description: modelForAaguid(aaguid) ?? root.name,
        rootsPem: [root.pem],
      })),
    );
    const rootKeys = await crypto.subtle.generateKey(EC, true, ['sign', 'verify']);
    const caKeys = await crypto.subtle.generateKey(EC, true, ['sign', 'verify']);
    const signerKeys = await crypto.subtle.generateKey(EC, true, ['sign', 'verify']);
    const notBefore = new Date(now.getTime() - DAY);
    const notAfter = new Date(now.getTime() + 365 * DAY);
    const crlUrls = Object.fromEntries(
      CRL_NAMES.map((name) => [name, `${origin}/mds3/crl/${name}.crl`]),
    ) as Record<CrlName, string>;
    const caUsage = x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign;
    const rootName = `CN=Local FIDO Metadata Root ${seed.tenant.id}, O=Passkey Courier local tenant`;
    const root = await x509.X509CertificateGenerator.createSelfSigned(
      {
        serialNumber: '01',
        name: rootName,
        notBefore,
        notAfter,
        signingAlgorithm: EC,
        keys: rootKeys,
        extensions: [
          new x509.BasicConstraintsExtension(true, 1, true),
          new x509.KeyUsagesExtension(caUsage, true),
        ],
      },
      crypto,
    );
    const ca = await x509.X509CertificateGenerator.create(
      {
        serialNumber: '02',
        subject: 'CN=Local FIDO Metadata CA, O=Passkey Courier local tenant',
        issuer: root.subject,
        notBefore,
        notAfter,
        signingAlgorithm: EC,
        publicKey: caKeys.publicKey,
        signingKey: rootKeys.privateKey,
        extensions: [
          new x509.BasicConstraintsExtension(true, 0, true),
          new x509.KeyUsagesExtension(caUsage, true),
          new x509.CRLDistributionPointsExtension([crlUrls.root]),
        ],
      },
      crypto,
    );
    const signerSerial = '03';
    const signer = await x509.X509CertificateGenerator.create(
      {
        serialNumber: signerSerial,
        subject: 'CN=Local FIDO Metadata BLOB Signer, O=Passkey Courier local tenant',
        issuer: ca.subject,
        notBefore,
        notAfter,
        signingAlgorithm: EC,
        publicKey: signerKeys.publicKey,
        signingKey: caKeys.privateKey,
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
          new x509.CRLDistributionPointsExtension([crlUrls.ca]),
        ],
      },
      crypto,
    );
    const der = (c: x509.X509Certificate) => Buffer.from(c.rawData).toString('base64');
    const nextUpdate = new Date(now.getTime() + 30 * DAY).toISOString().slice(0, 10);
    const blob = await new SignJWT({
      legalHeader: 'Local test metadata of the Passkey Courier tenant; not the FIDO Alliance.',
      no: 1,
      nextUpdate,
      entries: entries.map((entry) => ({
        aaguid: entry.aaguid,
        metadataStatement: {
          legalHeader: 'Local test metadata.',
          aaguid: entry.aaguid,
          description: entry.description,
          authenticatorVersion: 1,
          protocolFamily: 'fido2',
          schema: 3,
          upv: [{ major: 1, minor: 1 }],
          authenticationAlgorithms: ['secp256r1_ecdsa_sha256_raw'],
          publicKeyAlgAndEncodings: ['cose'],
          attestationTypes: ['basic_full'],
          userVerificationDetails: [[{ userVerificationMethod: 'passcode_external' }]],
          keyProtection: ['hardware', 'secure_element'],
          matcherProtection: ['on_chip'],
          attachmentHint: ['external', 'wired'],
          tcDisplay: [],
          attestationRootCertificates: entry.rootsPem.map((pem) =>
            Buffer.from(new X509Certificate(pem).raw).toString('base64'),
          ),
        },
        statusReports: [{ status: 'FIDO_CERTIFIED_L1', effectiveDate: '2024-01-01' }],
        timeOfLastStatusChange: '2024-01-01',
      })),
    })
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT', x5c: [der(signer), der(ca)] })
      .sign(await exportPrivate(signerKeys.privateKey));
    return new MetadataService({
      entries,
      rootPem: root.toString('pem'),
      blob,
      crlUrls,
      issuers: {
        // The root's CRL is a plain full CRL, as GlobalSign's root-r3.crl; the CA's is scoped to
        // its end-entity signers (a critical issuing distribution point), as partitioned CRLs are.
        root: new CrlIssuer(root, rootKeys.privateKey),
        ca: new CrlIssuer(ca, caKeys.privateKey, {
          scope: { url: crlUrls.ca, covers: 'end-entity' },
        }),
      },
      signerSerial,
    });
  }

  /** A CRL as its distribution point serves it (DER), or undefined while CRLs are unavailable. */
  async crl(name: CrlName, now: number): Promise<Buffer | undefined> {
    return this.crlsAvailable ? this.issuers[name].crl(now) : undefined;
  }

  /** The CA revokes the BLOB signer's certificate: its next CRL lists it. */
  revokeSigner(at: Date, reason: RevocationReason = 'keyCompromise'): void {
    this.issuers.ca.revoke(this.signerSerial, at, reason);
  }

  /** Whether the CRL distribution points answer (false: 503, as an unreachable CA would). */
  setCrlsAvailable(available: boolean): void {
    this.crlsAvailable = available;
  }

  /** Back to the start: nothing revoked, CRLs served. */
  reset(): void {
    for (const issuer of Object.values(this.issuers)) issuer.clear();
    this.crlsAvailable = true;
  }

  /** What the test controls report. */
  revocationState(): { signerRevoked: boolean; crlsAvailable: boolean } {
    return {
      signerRevoked: this.issuers.ca.isRevoked(this.signerSerial),
      crlsAvailable: this.crlsAvailable,
    };
  }

  /** The BLOB as the MDS endpoint serves it: the compact JWT. */
  blobJwt(): string {
    return this.blob;
  }

  /** The attestation roots the metadata lists for an AAGUID (none: the key is not in MDS). */
  rootsFor(aaguid: string): readonly string[] {
    return this.entries.find((e) => e.aaguid === aaguid.toLowerCase())?.rootsPem ?? [];
  }
}

async function exportPrivate(key: CryptoKey) {
  const pkcs8 = Buffer.from(await crypto.subtle.exportKey('pkcs8', key));
  return createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
}
