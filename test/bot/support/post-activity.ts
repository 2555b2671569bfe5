import type { LocalStack } from '../../../local/stack/start-local-stack.ts';
import { httpsCall, type CallResult } from '../../local/host/support/https-call.ts';

/**
 * POSTs a message activity straight to the bot endpoint, with no Bot Framework token (or the
 * headers given, such as a forged one): what a caller who is not Teams can send. Maja Lind claims to be the sender.
 */
export function postRawMessage(
  stack: Pick<LocalStack, 'host'>,
  fields: { text: string; serviceUrl: string; botId: string },
  headers: Record<string, string> = {},
): Promise<CallResult> {
  return httpsCall({ url: stack.host.url, caPem: stack.host.caPem }, 'POST', '/api/messages', {
    body: JSON.stringify({
      type: 'message',
      text: fields.text,
      channelId: 'msteams',
      serviceUrl: fields.serviceUrl,
      from: { id: '29:x', aadObjectId: '74d50326-ba14-4319-ac27-15d63260d1ba' },
      conversation: { id: 'a:x', conversationType: 'personal' },
      recipient: { id: fields.botId },
    }),
    headers: { 'content-type': 'application/json', ...headers },
  });
}
