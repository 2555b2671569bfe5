import { app, type InvocationContext, type Timer } from '@azure/functions';
import { botRuntime } from '../bot/bot-runtime.ts';
import { botAppId } from '../bot/teams/bot-adapter.ts';
import { BotMessenger } from '../bot/teams/bot-messenger.ts';
import { invocationLogger, type CourierLogger } from '../log/courier-logger.ts';
import { NotificationDispatcher } from './notification-dispatcher.ts';
import { NOTIFICATION_QUEUE, QUEUE_CONNECTION, nudgeSchema } from './notification-queue.ts';

/**
 * Delivery on write: a message added to the outbox is nudged onto a storage queue, and this
 * queue trigger delivers that one notification under its lease. A failed delivery is queued
 * again for when its back-off ends (not thrown: the host's retries come at once and end in the
 * poison queue), so the host only retries what broke before delivery was tried (storage), and a
 * message the host gives up on loses nothing: its outbox row stays pending for the sweep.
 *
 * The sweep runs every 15 minutes, not every few seconds: on Flex Consumption every tick starts
 * an instance, and an idle deployment must be able to scale to zero between them. It delivers
 * what a lost nudge or a crashed deliverer left behind.
 */
export function registerNotifications(): void {
  app.storageQueue('courier-notification-delivery', {
    queueName: NOTIFICATION_QUEUE,
    connection: QUEUE_CONNECTION,
    handler: async (message: unknown, context: InvocationContext) => {
      const log = invocationLogger(context);
      const nudge = nudgeSchema.safeParse(message);
      if (!nudge.success) {
        // Not ours to deliver, and retrying cannot change it: say so and let it go.
        log.error('notification-nudge-unreadable', {
          issues: nudge.error.issues.map((issue) => issue.message),
        });
        return;
      }
      const outcome = await (await dispatcher(log)).deliverOne(nudge.data.notificationId);
      log.info('notification-delivery', {
        notificationId: nudge.data.notificationId,
        outcome: outcome.kind,
        dequeueCount: context.triggerMetadata?.dequeueCount,
      });
    },
  });

  app.timer('courier-notification-sweep', {
    schedule: '0 */15 * * * *',
    handler: async (_timer: Timer, context: InvocationContext) => {
      const log = invocationLogger(context);
      const { delivered, waiting } = await (await dispatcher(log)).drain();
      // Delivered here means the queue path missed it (a lost nudge, a crashed deliverer).
      if (delivered > 0) log.warn('notifications-swept', { delivered, waiting });
      else if (waiting > 0) log.info('notifications-waiting', { waiting });
      // Nudges the host gave up on: their rows were in this drain; say which, and clear them.
      const poisoned = await (await botRuntime()).services.nudges.takePoisoned();
      if (poisoned.length > 0)
        log.warn('notification-nudges-poisoned', { notificationIds: poisoned });
    },
  });
}

async function dispatcher(log: CourierLogger): Promise<NotificationDispatcher> {
  const runtime = await botRuntime();
  const { services, settings } = runtime;
  return new NotificationDispatcher({
    outbox: services.outbox,
    requests: services.requests,
    audit: services.audit,
    graph: services.graph,
    references: runtime.references,
    approvalCards: runtime.approvalCards,
    state: runtime.state,
    messenger: new BotMessenger(runtime.adapter, botAppId(settings.auth)),
    nudges: services.nudges,
    settings: {
      tenantId: services.settings.tenantId,
      tabUrl: settings.tabUrl,
      teamsAppCatalogId: services.settings.teamsAppCatalogId,
      serviceUrl: settings.serviceUrl,
      botAppId: botAppId(settings.auth),
    },
    log,
  });
}
