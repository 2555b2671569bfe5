import {
  CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  type ConfigurationBotFrameworkAuthenticationOptions,
} from 'botbuilder';
import type { ConnectorClientOptions } from 'botframework-connector';
import type { BotAuthentication } from '../bot-settings.ts';
import { caTrustingHttpClient } from './ca-trusting-http-client.ts';

/**
 * The CloudAdapter for the bot's settings. With an app id every incoming activity's token is
 * validated (issuer, audience = the app id, signing keys from the Bot Framework's metadata) and
 * outgoing calls carry the app's token (the user-assigned managed identity in Azure). Without
 * one (local mode) neither happens; the endpoint then accepts only loopback traffic.
 * `caPem` is the local CA, for a local Teams stand-in serving HTTPS.
 */
export function createBotAdapter(auth: BotAuthentication, caPem?: string): CloudAdapter {
  const options: ConfigurationBotFrameworkAuthenticationOptions =
    auth.kind === 'entra'
      ? {
          MicrosoftAppId: auth.appId,
          MicrosoftAppType: auth.appType,
          MicrosoftAppTenantId: auth.tenantId,
          ...(auth.password ? { MicrosoftAppPassword: auth.password } : {}),
        }
      : {};
  const connectorOptions = caPem
    ? ({ httpClient: caTrustingHttpClient(caPem) } as unknown as ConnectorClientOptions)
    : undefined;
  const authentication = new ConfigurationBotFrameworkAuthentication(
    options,
    undefined,
    undefined,
    undefined,
    connectorOptions,
  );
  const adapter = new CloudAdapter(authentication);
  return adapter;
}

/** The app id proactive sends go out as ('' in local mode). */
export function botAppId(auth: BotAuthentication): string {
  return auth.kind === 'entra' ? auth.appId : '';
}
