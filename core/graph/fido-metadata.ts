import { X509Certificate } from 'node:crypto';
import { Agent } from 'node:https';
import { boundedGet } from './bounded-get.ts';
import { CertificateRevocationError, crlNextUpdate } from './certificate-revocation.ts';
import { UNTRUSTED_STATUSES, verifyMds3Blob, type Mds3Blob } from './mds3-blob.ts';

export interface FidoMetadataOptions {
  /** The MDS3 endpoint: the FIDO Alliance's, or the local tenant's. */
  url: string;
  /** Roots the BLOB's signer must chain to (PEM). */
  rootsPem: readonly string[];
  /** An extra CA for the HTTPS connections (BLOB, https CRLs: the local tenant's); verification stays on. */
  caPem?: string;
  now?: () => number;
}

/** What the metadata says about one AAGUID. */
export type MetadataVerdict =
  | { listed: true; description: string | undefined; rootsPem: string[] }
  | { listed: false; reason: string };

const MAX_CACHE_MS = 24 * 3600_000;
const MAX_BLOB_BYTES = 32 * 1024 * 1024;
/** GlobalSign's CRLs are a few kilobytes; the limit only stops a runaway answer. */
const MAX_CRL_BYTES = 10 * 1024 * 1024;
const BLOB_TIMEOUT_MS = 30_000;
const CRL_TIMEOUT_MS = 15_000;

/**
 * The FIDO Metadata Service as Entra uses it for enforced attestation: the BLOB is fetched,
 * verified (mds3-blob.ts, including the CRLs of its signing chain) and cached until its nextUpdate
 * (at most a day); a failed refresh keeps the last good BLOB, unless it failed because a
 * certificate of that BLOB's own chain is now revoked. CRLs (usually plain http: they are signed)
 * are cached until their nextUpdate; a refresh that fails drops them, so the next one refetches.
 */
export class FidoMetadata {
  private readonly options: FidoMetadataOptions;
  private readonly agent: Agent;
  private cached: { blob: Mds3Blob; until: number } | undefined;
  private loading: Promise<Mds3Blob> | undefined;
  private readonly crls = new Map<string, { crl: Buffer; until: number }>();

  constructor(options: FidoMetadataOptions) {
    this.options = options;
    this.agent = new Agent({ keepAlive: false, ...(options.caPem ? { ca: options.caPem } : {}) });
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  async blob(): Promise<Mds3Blob> {
    if (this.cached && this.now() < this.cached.until) return this.cached.blob;
    this.loading ??= this.load().finally(() => (this.loading = undefined));
    try {
      return await this.loading;
    } catch (error) {
      const revoked = error instanceof Error ? error.cause : undefined;
      if (
        revoked instanceof CertificateRevocationError &&
        revoked.code === 'REVOKED' &&
        this.cached?.blob.signingChain.includes(revoked.fingerprint256)
      )
        this.cached = undefined;
      if (this.cached) return this.cached.blob;
      throw error;
    }
  }

  /** Is this AAGUID in the metadata, not revoked, and which attestation roots does it list? */
  async verdict(aaguid: string): Promise<MetadataVerdict> {
    const key = aaguid.toLowerCase();
    const entry = (await this.blob()).entries.find((e) => e.aaguid?.toLowerCase() === key);
    if (!entry?.metadataStatement)
      return { listed: false, reason: `AAGUID ${key} is not in the FIDO Metadata Service.` };
    const bad = entry.statusReports.find((r) => UNTRUSTED_STATUSES.has(r.status));
    if (bad)
      return {
        listed: false,
        reason: `The FIDO Metadata Service reports ${bad.status} for AAGUID ${key}.`,
      };
    return {
      listed: true,
      description: entry.metadataStatement.description,
      rootsPem: entry.metadataStatement.attestationRootCertificates.map((b64) =>
        new X509Certificate(Buffer.from(b64, 'base64')).toString(),
      ),
    };
  }

  private async load(): Promise<Mds3Blob> {
    const text = (
      await boundedGet(this.options.url, {
        agent: this.agent,
        allowHttp: false,
        maxBytes: MAX_BLOB_BYTES,
        timeoutMs: BLOB_TIMEOUT_MS,
        what: 'The FIDO Metadata Service',
      })
    ).toString('utf8');
    let blob: Mds3Blob;
    try {
      blob = await verifyMds3Blob(text.trim(), this.options.rootsPem, new Date(this.now()), (url) =>
        this.crl(url),
      );
    } catch (error) {
      this.crls.clear();
      throw error;
    }
    const next = Date.parse(blob.nextUpdate);
    const until = Math.min(
      this.now() + MAX_CACHE_MS,
      Number.isNaN(next) ? this.now() + MAX_CACHE_MS : next,
    );
    this.cached = { blob, until: Math.max(until, this.now() + 60_000) };
    return blob;
  }

  /** A CRL of the BLOB's chain: from the cache while its nextUpdate has not passed, else fetched. */
  private async crl(url: string): Promise<Buffer> {
    const cached = this.crls.get(url);
    if (cached && this.now() < cached.until) return cached.crl;
    this.crls.delete(url);
    const crl = await boundedGet(url, {
      agent: this.agent,
      allowHttp: true,
      maxBytes: MAX_CRL_BYTES,
      timeoutMs: CRL_TIMEOUT_MS,
      what: 'The CRL',
    });
    const next = crlNextUpdate(crl)?.getTime();
    if (next !== undefined && next > this.now()) this.crls.set(url, { crl, until: next });
    return crl;
  }
}
