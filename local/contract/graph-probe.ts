import { randomUUID } from 'node:crypto';
import { Agent, request as httpsRequest } from 'node:https';
import type { TokenCredential } from '@azure/core-auth';

/** One answer of Graph, as recorded: never the token, never a body the caller did not keep. */
export interface ProbeAnswer {
  status: number;
  /** The request headers Graph answered with that the contract checks. */
  headers: {
    requestId: string | undefined;
    clientRequestId: string | undefined;
    /** The client-request-id we sent, to check the echo. */
    sentClientRequestId: string;
    retryAfter: string | undefined;
    contentType: string | undefined;
  };
  json: unknown;
  /** Graph's error envelope, when there is one. */
  error: { code: string | undefined; message: string | undefined } | undefined;
}

/**
 * Raw HTTPS to Graph for the contract probe: no retries, no interpretation, so what is recorded is
 * what Graph said. TLS verification stays on (an extra CA can be trusted, for the local tenant).
 */
export class GraphProbe {
  private readonly agent: Agent;
  /** Every answer with a 429 seen during the run. */
  readonly throttled: ProbeAnswer[] = [];
  readonly answers: ProbeAnswer[] = [];

  private readonly credential: TokenCredential;
  private readonly baseUrl: string;

  constructor(credential: TokenCredential, baseUrl: string, caPem?: string) {
    this.credential = credential;
    this.baseUrl = baseUrl;
    this.agent = new Agent({ keepAlive: true, ...(caPem ? { ca: caPem } : {}) });
  }

  async token(): Promise<string> {
    const token = await this.credential.getToken('https://graph.microsoft.com/.default');
    if (!token) throw new Error('No token for Microsoft Graph.');
    return token.token;
  }

  async call(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    body?: unknown,
  ): Promise<ProbeAnswer> {
    const token = await this.token();
    const sentClientRequestId = randomUUID();
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const url = `${this.baseUrl.replace(/\/+$/, '')}${path}`;
    const answer = await new Promise<ProbeAnswer>((resolve, reject) => {
      const req = httpsRequest(
        url,
        {
          method,
          agent: this.agent,
          timeout: 60_000,
          headers: {
            authorization: `Bearer ${token}`,
            'client-request-id': sentClientRequestId,
            accept: 'application/json',
            ...(payload
              ? { 'content-type': 'application/json', 'content-length': String(payload.length) }
              : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: unknown;
            try {
              json = text ? JSON.parse(text) : undefined;
            } catch {
              json = undefined;
            }
            const header = (name: string) => {
              const value = res.headers[name];
              return Array.isArray(value) ? value[0] : value;
            };
            const envelope = (json as { error?: { code?: string; message?: string } } | undefined)
              ?.error;
            resolve({
              status: res.statusCode ?? 0,
              headers: {
                requestId: header('request-id'),
                clientRequestId: header('client-request-id'),
                sentClientRequestId,
                retryAfter: header('retry-after'),
                contentType: header('content-type'),
              },
              json,
              error: envelope ? { code: envelope.code, message: envelope.message } : undefined,
            });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.on('error', reject);
      req.end(payload);
    });
    this.answers.push(answer);
    if (answer.status === 429) this.throttled.push(answer);
    return answer;
  }

  close(): void {
    this.agent.destroy();
  }
}
