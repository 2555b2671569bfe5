import { X509Certificate } from 'node:crypto';
import { compactVerify, decodeProtectedHeader } from 'jose';
import { z } from 'zod';
import { checkRevocation, type ChainLink, type CrlFetcher } from './certificate-revocation.ts';
import { GraphError } from './graph-error.ts';

const entrySchema = z.looseObject({
  aaguid: z.string().optional(),
  metadataStatement: z
    .looseObject({
      description: z.string().optional(),
      attestationRootCertificates: z.array(z.string()).default([]),
      attestationTypes: z.array(z.string()).default([]),
    })
    .optional(),
  statusReports: z.array(z.looseObject({ status: z.string() })).default([]),
});

const payloadSchema = z.looseObject({
  no: z.number(),
  nextUpdate: z.string(),
  entries: z.array(entrySchema),
});

export type Mds3Entry = z.infer<typeof entrySchema>;

export interface Mds3Blob {
  no: number;
  /** When the BLOB says the next one is due (a date); it may be cached until then. */
  nextUpdate: string;
  entries: Mds3Entry[];
  /** SHA-256 fingerprints of the certificates checked for revocation: the signer up to the anchor. */
  signingChain: string[];
}

/** Statuses after which an authenticator must not be trusted (FIDO MDS3 §3.1.4 AuthenticatorStatus). */
export const UNTRUSTED_STATUSES = new Set([
  'REVOKED',
  'USER_VERIFICATION_BYPASS',
  'ATTESTATION_KEY_COMPROMISE',
  'USER_KEY_REMOTE_COMPROMISE',
  'USER_KEY_PHYSICAL_COMPROMISE',
]);

const invalid = (message: string, cause?: unknown) =>
  new GraphError('INVALID_RESPONSE', `FIDO metadata BLOB: ${message}`, cause ? { cause } : {});

/**
 * Verifies a FIDO Metadata Service (MDS3) BLOB as the spec asks (FIDO MDS3 §3.2): the JWT header's
 * x5c chain must lead, every certificate valid now, to one of `rootsPem` (GlobalSign Root CA - R3
 * for the FIDO Alliance's), the JWT signature must verify with the chain's first certificate
 * (jose), and no certificate below the anchor may be revoked by the CRLs its distribution points
 * name, fetched with `fetchCrl` (certificate-revocation.ts: a CRL that cannot be fetched or
 * trusted, or a certificate naming none, fails the BLOB too).
 */
export async function verifyMds3Blob(
  jwt: string,
  rootsPem: readonly string[],
  now: Date,
  fetchCrl: CrlFetcher,
): Promise<Mds3Blob> {
  let x5c: string[];
  try {
    const header = decodeProtectedHeader(jwt);
    if (!Array.isArray(header.x5c) || header.x5c.length === 0) throw new Error('no x5c');
    x5c = header.x5c;
  } catch (cause) {
    throw invalid('it is not a JWT with an x5c header.', cause);
  }
  let chain: X509Certificate[];
  try {
    chain = x5c.map((der) => new X509Certificate(Buffer.from(der, 'base64')));
  } catch (cause) {
    throw invalid('a certificate of its x5c does not parse.', cause);
  }
  const roots = rootsPem.map((pem) => new X509Certificate(pem));
  const validNow = (c: X509Certificate) =>
    new Date(c.validFrom) <= now && now <= new Date(c.validTo);
  const links: ChainLink[] = [];
  for (let i = 0; i < chain.length; i++) {
    const certificate = chain[i]!;
    if (!validNow(certificate)) throw invalid(`x5c[${i}] is not valid now.`);
    if (roots.some((r) => r.fingerprint256 === certificate.fingerprint256)) break;
    const issuer = chain[i + 1];
    if (issuer) {
      if (!certificate.checkIssued(issuer) || !certificate.verify(issuer.publicKey))
        throw invalid(`x5c[${i}] is not signed by x5c[${i + 1}].`);
      links.push({ certificate, issuer, label: `x5c[${i}]` });
      continue;
    }
    const root = roots.find(
      (r) => validNow(r) && certificate.checkIssued(r) && certificate.verify(r.publicKey),
    );
    if (!root) throw invalid('its signing chain does not lead to a trusted metadata root.');
    links.push({ certificate, issuer: root, label: `x5c[${i}]` });
  }
  let payload: unknown;
  try {
    const verified = await compactVerify(jwt, chain[0]!.publicKey, {
      algorithms: ['RS256', 'ES256', 'PS256', 'ES384', 'RS384'],
    });
    payload = JSON.parse(new TextDecoder().decode(verified.payload));
  } catch (cause) {
    throw invalid('its signature does not verify.', cause);
  }
  try {
    await checkRevocation(links, fetchCrl, now);
  } catch (cause) {
    throw invalid((cause as Error).message, cause);
  }
  const parsed = payloadSchema.safeParse(payload);
  if (!parsed.success) throw invalid('its payload is not an MDS3 metadataBLOBPayload.');
  return { ...parsed.data, signingChain: links.map((l) => l.certificate.fingerprint256) };
}
