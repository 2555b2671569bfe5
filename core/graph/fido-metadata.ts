import { X509Certificate } from 'node:crypto';
import { Agent, request as httpsRequest } from 'node:https';
import { GraphError } from './graph-error.ts';
import { UNTRUSTED_STATUSES, verifyMds3Blob, type Mds3Blob } from './mds3-blob.ts';

export interface FidoMetadataOptions {
  /** The MDS3 endpoint: the FIDO Alliance's, or the local tenant's. */
  url: string;
  /** Roots the BLOB's signer must chain to (PEM). */
  rootsPem: readonly string[];
  /** An extra CA for the HTTPS connection (the local tenant's); verification stays on. */
  caPem?: string;
  now?: () => number;
}

/** What the metadata says about one AAGUID. */
export type MetadataVerdict =
  | { listed: true; description: string | undefined; rootsPem: string[] }
  | { listed: false; reason: string };

const MAX_CACHE_MS = 24 * 3600_000;
const MAX_BLOB_BYTES = 32 * 1024 * 1024;

/**
 * The FIDO Metadata Service as Entra uses it for enforced attestation: the BLOB is fetched,
 * verified (mds3-blob.ts) and cached until its nextUpdate (at most a day); a failed refresh keeps
 * the last good BLOB.
 */
export class FidoMetadata {
  private readonly options: FidoMetadataOptions;
  private readonly agent: Agent;
  private cached: { blob: Mds3Blob; until: number } | undefined;
  private loading: Promise<Mds3Blob> | undefined;

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
    const text = await this.fetchText();
    const blob = await verifyMds3Blob(text.trim(), this.options.rootsPem, new Date(this.now()));
    const next = Date.parse(blob.nextUpdate);
    const until = Math.min(
      this.now() + MAX_CACHE_MS,
      Number.isNaN(next) ? this.now() + MAX_CACHE_MS : next,
    );
    this.cached = { blob, until: Math.max(until, this.now() + 60_000) };
    return blob;
  }

  private fetchText(): Promise<string> {
    return new Promise((resolve, reject) => {
      const req = httpsRequest(this.options.url, { agent: this.agent, timeout: 30_000 }, (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          reject(
            new GraphError(
              'SERVICE_UNAVAILABLE',
              `The FIDO Metadata Service at ${this.options.url} answered ${res.statusCode ?? '?'}.`,
            ),
          );
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BLOB_BYTES) req.destroy(new Error('the BLOB is too large'));
          else chunks.push(chunk);
        });
        res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', (cause) =>
        reject(
          new GraphError(
            'NETWORK',
            `The FIDO Metadata Service at ${this.options.url} could not be read: ${cause.message}`,
            { cause },
          ),
        ),
      );
      req.end();
    });
  }
}
