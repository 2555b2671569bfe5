import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  encodeNudge,
  nudgeSchema,
  openNotificationQueue,
  NOTIFICATION_QUEUE,
} from '../../../functions/notifications/notification-queue.ts';
import { startAzurite } from '../../../local/azurite/start-azurite.ts';
import { parseAppConfig } from '../../../local/host/read-app-config.ts';
import { decodeQueueMessage } from '../../../local/host/queue/queue-message-encoding.ts';
import { ensureLocalTls } from '../../../local/tls/ensure-local-tls.ts';

const HOST_JSON = fileURLToPath(new URL('../../../functions/host.json', import.meta.url));

describe('the notification queue', () => {
  it('writes nudges in the encoding host.json tells the queue trigger to read', async () => {
    const hostJson = JSON.parse(await readFile(HOST_JSON, 'utf8'));
    const { queues } = parseAppConfig(hostJson, undefined, { TASKHUB_NAME: 'courier' });
    expect(queues.messageEncoding).toBe('base64');
    const text = encodeNudge('req-1:2:approvers');
    expect(text).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
    const decoded = decodeQueueMessage(text, queues.messageEncoding);
    expect(nudgeSchema.parse(JSON.parse(decoded!))).toEqual({
      notificationId: 'req-1:2:approvers',
    });
  });

  it('puts a nudge on Azurite over HTTPS from the local CA, invisible for its delay, and refuses plain http elsewhere', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'courier-queue-tls-'));
    const tls = await ensureLocalTls({ directory });
    const azurite = await startAzurite({
      https: { certFile: tls.certificateFile, keyFile: tls.privateKeyFile, caPem: tls.caPem },
    });
    try {
      const queue = await openNotificationQueue({
        connectionString: azurite.connectionString,
        caPem: tls.caPem,
      });
      expect(queue.client.name).toBe(NOTIFICATION_QUEUE);
      await queue.nudge('req-2:1:requester');
      await queue.nudge('req-2:2:requester', 60_000);
      const received = await queue.client.receiveMessages({ numberOfMessages: 32 });
      // The delayed one stays invisible: only the first comes back.
      expect(
        received.receivedMessageItems.map((m) =>
          JSON.parse(decodeQueueMessage(m.messageText, 'base64')!),
        ),
      ).toEqual([{ notificationId: 'req-2:1:requester' }]);
      expect((await queue.client.getProperties()).approximateMessagesCount).toBe(2);
      // Nudges the host gave up on are taken off the poison queue and named: as the host copied
      // them (base64), and raw when it could not decode them.
      expect(await queue.takePoisoned()).toEqual([]);
      await queue.poison.createIfNotExists();
      await queue.poison.sendMessage(encodeNudge('req-2:3:approvers'));
      await queue.poison.sendMessage('{"notificationId":"req-2:4:it"}');
      await queue.poison.sendMessage('garbage');
      const taken = await queue.takePoisoned();
      expect(taken.slice(0, 2)).toEqual(['req-2:3:approvers', 'req-2:4:it']);
      expect(taken[2]).toMatch(/^unreadable message /);
      expect((await queue.poison.getProperties()).approximateMessagesCount).toBe(0);
      // Verification stays on: without the local CA the certificate is refused.
      await expect(
        openNotificationQueue({ connectionString: azurite.connectionString }),
      ).rejects.toMatchObject({ code: 'STORAGE' });
    } finally {
      await azurite.stop();
      await rm(directory, { recursive: true, force: true });
    }
    await expect(
      openNotificationQueue({
        connectionString:
          'DefaultEndpointsProtocol=http;AccountName=a;AccountKey=a2V5;QueueEndpoint=http://storage.example/a;',
      }),
    ).rejects.toMatchObject({ code: 'CONFIGURATION_INVALID' });
  }, 30_000);
});
