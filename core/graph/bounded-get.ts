import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest, type Agent } from 'node:https';
import { GraphError } from './graph-error.ts';

export interface BoundedGetOptions {
  /** For https URLs: the agent holding the CA options (verification stays on). */
  agent: Agent;
  /** Plain http is allowed only where the content is signed (CRLs); refused otherwise. */
  allowHttp: boolean;
  maxBytes: number;
  /** The whole exchange, connection to last byte. */
  timeoutMs: number;
  /** What is fetched, for messages: "The FIDO Metadata Service", "The CRL". */
  what: string;
}

/**
 * GET a URL into memory with a size limit and an overall deadline, for the FIDO metadata BLOB and
 * the CRLs of its chain. Only a 200 is an answer: redirects are not followed (neither the FIDO
 * Alliance nor GlobalSign redirect, and a redirect is not a signed statement). Failures are
 * GraphErrors: SERVICE_UNAVAILABLE for an answer that is not 200, NETWORK otherwise.
 */
export function boundedGet(url: string, options: BoundedGetOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch (cause) {
      reject(new GraphError('NETWORK', `${options.what} URL ${url} is not a URL.`, { cause }));
      return;
    }
    const secure = target.protocol === 'https:';
    if (!secure && !(options.allowHttp && target.protocol === 'http:')) {
      reject(new GraphError('NETWORK', `${options.what} at ${url}: only https is allowed here.`));
      return;
    }
    // Settles once: whatever the sockets emit after an abort (resets, late ends) is ignored.
    let settled = false;
    let response: IncomingMessage | undefined;
    const settle = (outcome: Buffer | GraphError) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      if (outcome instanceof GraphError) {
        response?.destroy();
        req.destroy();
        reject(outcome);
      } else resolve(outcome);
    };
    const fail = (cause: Error) =>
      settle(
        new GraphError('NETWORK', `${options.what} at ${url} could not be read: ${cause.message}`, {
          cause,
        }),
      );
    const onResponse = (res: IncomingMessage) => {
      response = res;
      res.on('error', fail);
      if (res.statusCode !== 200) {
        settle(
          new GraphError(
            'SERVICE_UNAVAILABLE',
            `${options.what} at ${url} answered ${res.statusCode ?? '?'}.`,
            { ...(res.statusCode ? { status: res.statusCode } : {}) },
          ),
        );
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > options.maxBytes) fail(new Error(`it is larger than ${options.maxBytes} bytes`));
        else chunks.push(chunk);
      });
      res.on('end', () => settle(Buffer.concat(chunks)));
    };
    const req = secure
      ? httpsRequest(target, { agent: options.agent }, onResponse)
      : httpRequest(target, onResponse);
    req.on('error', fail);
    const deadline = setTimeout(
      () => fail(new Error(`no complete answer within ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
    req.end();
  });
}
