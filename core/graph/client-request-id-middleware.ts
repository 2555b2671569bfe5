import { randomUUID } from 'node:crypto';
import type { Context, Middleware } from '@microsoft/microsoft-graph-client';

/**
 * Gives each logical request a client-request-id (kept across its retries), so Graph's logs, our
 * audit trail and Microsoft support can all point at the same call.
 */
export class ClientRequestIdMiddleware implements Middleware {
  private next: Middleware | undefined;

  setNext(next: Middleware): void {
    this.next = next;
  }

  async execute(context: Context): Promise<void> {
    const options = (context.options ??= {});
    const headers = new Headers(options.headers);
    if (!headers.has('client-request-id')) headers.set('client-request-id', randomUUID());
    options.headers = Object.fromEntries(headers.entries());
    await this.next!.execute(context);
  }
}
