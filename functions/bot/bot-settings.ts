import { z } from 'zod';
import { ConfigurationError } from '../../core/graph/graph-settings.ts';

/** How the bot authenticates, read from the app settings once. */
export type BotAuthentication =
  | {
      kind: 'entra';
      /** The bot's Entra app id (the user-assigned managed identity's client id in Azure). */
      appId: string;
      appType: 'UserAssignedMSI' | 'SingleTenant';
      tenantId: string;
      /** SingleTenant only: the app's client secret. */
      password?: string;
    }
  | {
      /**
       * Local mode only: no Bot Framework tokens. The endpoint then answers only requests that
       * reached it on a loopback address and whose serviceUrl is loopback too.
       */
      kind: 'local-unauthenticated';
    };

export interface BotSettings {
  auth: BotAuthentication;
  /** Deep link to the personal tab, where the PIN is revealed. */
  tabUrl: string;
  /** Teams' Bot Connector, for chats found through Graph before any activity came from them. */
  serviceUrl: string;
  /** The table holding conversation references, approval card ids and delivery marks. */
  tableName: string;
}

const text = z.string().trim().min(1);

const schema = z.object({
  COURIER_BOT_APP_ID: z
    .uuid({ error: 'COURIER_BOT_APP_ID must be the bot’s Entra app id (a GUID).' })
    .optional(),
  COURIER_BOT_APP_TYPE: z
    .enum(['UserAssignedMSI', 'SingleTenant'], {
      error: 'COURIER_BOT_APP_TYPE must be UserAssignedMSI or SingleTenant.',
    })
    .default('UserAssignedMSI'),
  COURIER_BOT_APP_PASSWORD: text.optional(),
  COURIER_BOT_AUTH: z
    .enum(['entra', 'local-unauthenticated'], {
      error: 'COURIER_BOT_AUTH must be entra or local-unauthenticated.',
    })
    .default('entra'),
  COURIER_TENANT_ID: text.optional(),
  COURIER_TAB_URL: z.url({
    protocol: /^https$/,
    error: 'COURIER_TAB_URL must be an https:// URL.',
  }),
  COURIER_TABLE_PREFIX: z.string().optional(),
  COURIER_BOT_SERVICE_URL: z
    .url({ error: 'COURIER_BOT_SERVICE_URL must be a URL.' })
    .default('https://smba.trafficmanager.net/teams/'),
});

/** Every app setting `botSettingsFromEnvironment` reads (infra/ must set or knowingly skip each). */
export const BOT_SETTING_NAMES: readonly string[] = Object.keys(schema.shape);

/** The bot's settings; every problem is reported at once. */
export function botSettingsFromEnvironment(env: NodeJS.ProcessEnv): BotSettings {
  const parsed = schema.safeParse(env);
  const problems = parsed.success ? [] : parsed.error.issues.map((issue) => issue.message);
  if (!parsed.success) throw new ConfigurationError(problems);
  const values = parsed.data;
  let auth: BotAuthentication;
  if (values.COURIER_BOT_AUTH === 'local-unauthenticated') {
    if (values.COURIER_BOT_APP_ID) {
      problems.push(
        'COURIER_BOT_AUTH=local-unauthenticated cannot be combined with COURIER_BOT_APP_ID: with an app id every activity must be signed.',
      );
    }
    auth = { kind: 'local-unauthenticated' };
  } else {
    if (!values.COURIER_BOT_APP_ID) {
      problems.push(
        'Set COURIER_BOT_APP_ID (the bot’s Entra app id), or COURIER_BOT_AUTH=local-unauthenticated in local mode.',
      );
    }
    if (!values.COURIER_TENANT_ID) problems.push('Set COURIER_TENANT_ID for the bot.');
    if (values.COURIER_BOT_APP_TYPE === 'SingleTenant' && !values.COURIER_BOT_APP_PASSWORD) {
      problems.push('COURIER_BOT_APP_TYPE=SingleTenant needs COURIER_BOT_APP_PASSWORD.');
    }
    auth = {
      kind: 'entra',
      appId: values.COURIER_BOT_APP_ID ?? '',
      appType: values.COURIER_BOT_APP_TYPE,
      tenantId: values.COURIER_TENANT_ID ?? '',
      ...(values.COURIER_BOT_APP_PASSWORD ? { password: values.COURIER_BOT_APP_PASSWORD } : {}),
    };
  }
  if (problems.length > 0) throw new ConfigurationError(problems);
  return {
    auth,
    tabUrl: values.COURIER_TAB_URL,
    serviceUrl: values.COURIER_BOT_SERVICE_URL,
    tableName: `${values.COURIER_TABLE_PREFIX ?? ''}CourierBot`,
  };
}
