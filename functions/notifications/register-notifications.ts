import { app, type InvocationContext, type Timer } from '@azure/functions';
import { botRuntime } from '../bot/bot-runtime.ts';
import { botAppId } from '../bot/teams/bot-adapter.ts';
import { BotMessenger } from '../bot/teams/bot-messenger.ts';
import { invocationLogger } from '../log/courier-logger.ts';
import { NotificationDispatcher } from './notification-dispatcher.ts';

/**
 * Delivers the notification outbox to Teams every ten seconds. A timer trigger runs on one
 * instance at a time, so two passes never race over the same notification.
 */
export function registerNotifications(): void {
  app.timer('courier-notifications', {
    schedule: '*/10 * * * * *',
    handler: async (_timer: Timer, context: InvocationContext) => {
      const log = invocationLogger(context);
      const runtime = await botRuntime();
      const { services, settings } = runtime;
      const dispatcher = new NotificationDispatcher({
        outbox: services.outbox,
        requests: services.requests,
        audit: services.audit,
        graph: services.graph,
        references: runtime.references,
        approvalCards: runtime.approvalCards,
        state: runtime.state,
        messenger: new BotMessenger(runtime.adapter, botAppId(settings.auth)),
        settings: {
          tenantId: services.settings.tenantId,
          tabUrl: settings.tabUrl,
          teamsAppCatalogId: services.settings.teamsAppCatalogId,
          serviceUrl: settings.serviceUrl,
          botAppId: botAppId(settings.auth),
        },
        log,
      });
      const { delivered, waiting } = await dispatcher.drain();
      if (delivered > 0 || waiting > 0) log.info('notifications', { delivered, waiting });
    },
  });
}
