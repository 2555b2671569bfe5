import { randomUUID } from 'node:crypto';
import { Agent } from 'node:https';
import type { TokenCredential } from '@azure/core-auth';
import { jsonCall } from '../../core/http/json-call.ts';

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
    // Graph only over HTTPS, the local tenant included (jsonCall would let loopback http through).
    if (new URL(baseUrl).protocol !== 'https:') {
      throw new Error(`The Graph URL ${baseUrl} is not HTTPS.`);
    }
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
    const url = new URL(`${this.baseUrl.replace(/\/+$/, '')}${path}`);
    const answer = await jsonCall(url, method, {
      agent: this.agent,
      headers: { authorization: `Bearer ${token}`, 'client-request-id': sentClientRequestId },
      ...(body === undefined ? {} : { body }),
    });
    const header = (name: string) => {
      const value = answer.headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    const envelope = (answer.body as { error?: { code?: string; message?: string } } | undefined)
      ?.error;
    const recorded: ProbeAnswer = {
      status: answer.status,
      headers: {
        requestId: header('request-id'),
        clientRequestId: header('client-request-id'),
        sentClientRequestId,
        retryAfter: header('retry-after'),
        contentType: header('content-type'),
      },
      json: answer.body,
      error: envelope ? { code: envelope.code, message: envelope.message } : undefined,
    };
    this.answers.push(recorded);
    if (recorded.status === 429) this.throttled.push(recorded);
    return recorded;
  }

  close(): void {
    this.agent.destroy();
  }
}
