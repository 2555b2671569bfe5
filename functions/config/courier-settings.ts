import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { keyClassSchema, type KeyClass } from '../../core/request/key-class.ts';
import { ConfigurationError } from '../../core/graph/graph-settings.ts';
import { DEFAULT_TABLE_NAMES } from '../store/open-table.ts';
import { hostSettingProblems } from './host-settings.ts';
import {
  DEFAULT_WORKFLOW_POLICY,
  workflowPolicySchema,
  type WorkflowPolicy,
} from '../workflow/workflow-policy.ts';

/** Everything the functions app reads from its app settings, checked once at start-up. */
export interface CourierSettings {
  tenantId: string;
  authorityHost: string;
  /** Audiences the APIs accept: the API app's client id and its Application ID URI. */
  apiAudiences: string[];
  /** Extra CA (PEM) to trust for Entra metadata, Graph, Key Vault: the local CA in local mode. */
  caPem: string | undefined;
  storage:
    | { kind: 'connection-string'; connectionString: string }
    | { kind: 'endpoint'; endpoint: string; managedIdentityClientId: string | undefined };
  /**
   * The notification queue's account, read from the connection the queue trigger names
   * (`COURIER_QUEUES`), as the Functions host reads it: a connection string, or in Azure the
   * queue service URI with the managed identity.
   */
  queues:
    | { kind: 'connection-string'; connectionString: string }
    | { kind: 'endpoint'; serviceUri: string; managedIdentityClientId: string | undefined };
  tables: {
    jobs: string;
    audit: string;
    pins: string;
    requests: string;
    outbox: string;
    attempts: string;
  };
  pinKey:
    { kind: 'key-vault'; vaultUrl: string; keyName: string } | { kind: 'local-file'; path: string };
  policy: WorkflowPolicy;
  /** Entra group told about failures IT must act on. */
  itGroupId: string;
  keyClasses: KeyClass[];
  defaultKeyClass: string;
  /** The longest lease a station may hold without a heartbeat. */
  maxLeaseSeconds: number;
  /** How long the station's result call waits for Graph's answer before saying "pending". */
  resultWaitSeconds: number;
  /** Teams app's catalog id; with it, the bot chat is installed for people it must reach. */
  teamsAppCatalogId: string | undefined;
}

const flag = z
  .enum(['true', 'false', '1', '0'], { error: 'must be true or false' })
  .transform((value) => value === 'true' || value === '1');

const number = (name: string) =>
  z.coerce.number({ error: `${name} must be a number.` }).refine(Number.isFinite, {
    error: `${name} must be a number.`,
  });

const text = z.string().trim().min(1);

const environmentSchema = z.object({
  COURIER_TENANT_ID: z.uuid({ error: 'COURIER_TENANT_ID must be the Entra tenant id (a GUID).' }),
  COURIER_AUTHORITY_HOST: z
    .url({ protocol: /^https$/, error: 'COURIER_AUTHORITY_HOST must be an https:// URL.' })
    .default('https://login.microsoftonline.com'),
  COURIER_API_AUDIENCES: text.transform((value) =>
    value
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean),
  ),
  COURIER_CA_FILE: text.optional(),
  COURIER_STORAGE_CONNECTION: text.optional(),
  AzureWebJobsStorage: text.optional(),
  COURIER_STORAGE_TABLE_ENDPOINT: z
    .url({ error: 'COURIER_STORAGE_TABLE_ENDPOINT must be a URL.' })
    .optional(),
  COURIER_MANAGED_IDENTITY_CLIENT_ID: text.optional(),
  COURIER_QUEUES: text.optional(),
  COURIER_QUEUES__queueServiceUri: z
    .url({
      error:
        'COURIER_QUEUES__queueServiceUri must be a URL (https://<account>.queue.core.windows.net).',
    })
    .optional(),
  COURIER_QUEUES__credential: z
    .string()
    .regex(/^managedidentity$/i, {
      error: 'COURIER_QUEUES__credential must be "managedidentity" (or unset).',
    })
    .optional(),
  COURIER_QUEUES__clientId: z
    .uuid({ error: "COURIER_QUEUES__clientId must be the managed identity's client id (a GUID)." })
    .optional(),
  COURIER_TABLE_PREFIX: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9]{0,20}$/, {
      error: 'COURIER_TABLE_PREFIX must be letters and digits, starting with a letter.',
    })
    .optional(),
  COURIER_PIN_KEY_VAULT_URL: z
    .url({ protocol: /^https$/, error: 'COURIER_PIN_KEY_VAULT_URL must be an https:// URL.' })
    .optional(),
  COURIER_PIN_KEY_NAME: text.optional(),
  COURIER_PIN_KEY_FILE: text.optional(),
  COURIER_REMINDER_HOURS: number('COURIER_REMINDER_HOURS').optional(),
  COURIER_MAX_REMINDERS: number('COURIER_MAX_REMINDERS').optional(),
  COURIER_APPROVAL_EXPIRY_DAYS: number('COURIER_APPROVAL_EXPIRY_DAYS').optional(),
  COURIER_DELIVERY_CONFIRM_DAYS: number('COURIER_DELIVERY_CONFIRM_DAYS').optional(),
  COURIER_MAX_STATION_ATTEMPTS: number('COURIER_MAX_STATION_ATTEMPTS').optional(),
  COURIER_PREFETCH_OPTIONS: flag.optional(),
  COURIER_FALLBACK_APPROVERS_GROUP_ID: z.uuid({
    error: 'COURIER_FALLBACK_APPROVERS_GROUP_ID must be the object id (GUID) of an Entra group.',
  }),
  COURIER_IT_GROUP_ID: z
    .uuid({ error: 'COURIER_IT_GROUP_ID must be the object id (GUID) of an Entra group.' })
    .optional(),
  COURIER_KEY_CLASSES: text,
  COURIER_DEFAULT_KEY_CLASS: text.optional(),
  COURIER_MAX_LEASE_SECONDS: number('COURIER_MAX_LEASE_SECONDS').optional(),
  COURIER_RESULT_WAIT_SECONDS: number('COURIER_RESULT_WAIT_SECONDS').optional(),
  COURIER_TEAMS_APP_CATALOG_ID: text.optional(),
  FIDO2_OPTIONS_API: z.string().optional(),
});

/** Every app setting `courierSettingsFromEnvironment` reads (infra/ must set or knowingly skip each). */
export const COURIER_SETTING_NAMES: readonly string[] = Object.keys(environmentSchema.shape);

/**
 * Reads and checks the functions app's settings, reporting every problem at once, each naming
 * the setting and what it should hold (the Graph settings are checked by core/graph).
 */
export function courierSettingsFromEnvironment(
  env: NodeJS.ProcessEnv = process.env,
): CourierSettings {
  const hostProblems = hostSettingProblems(env);
  const parsed = environmentSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigurationError([
      ...hostProblems,
      ...parsed.error.issues.map((issue) =>
        issue.message.startsWith('COURIER') || issue.message.startsWith('Azure')
          ? issue.message
          : `${issue.path.join('.')}: ${issue.message === 'Invalid input: expected string, received undefined' ? 'is required' : issue.message}`,
      ),
    ]);
  }
  const values = parsed.data;
  const problems: string[] = [...hostProblems];

  let caPem: string | undefined;
  if (values.COURIER_CA_FILE) {
    try {
      caPem = readFileSync(values.COURIER_CA_FILE, 'utf8');
    } catch (error) {
      problems.push(
        `COURIER_CA_FILE ${values.COURIER_CA_FILE} cannot be read: ${(error as Error).message}.`,
      );
    }
  }

  const connectionString = values.COURIER_STORAGE_CONNECTION ?? values.AzureWebJobsStorage;
  let storage: CourierSettings['storage'] | undefined;
  if (values.COURIER_STORAGE_TABLE_ENDPOINT) {
    storage = {
      kind: 'endpoint',
      endpoint: values.COURIER_STORAGE_TABLE_ENDPOINT,
      managedIdentityClientId: values.COURIER_MANAGED_IDENTITY_CLIENT_ID,
    };
  } else if (connectionString) {
    storage = { kind: 'connection-string', connectionString };
  } else {
    problems.push(
      'Set COURIER_STORAGE_TABLE_ENDPOINT (with the managed identity) or COURIER_STORAGE_CONNECTION (or AzureWebJobsStorage) for the tables.',
    );
  }

  let queues: CourierSettings['queues'] | undefined;
  if (values.COURIER_QUEUES) {
    queues = { kind: 'connection-string', connectionString: values.COURIER_QUEUES };
  } else if (values.COURIER_QUEUES__queueServiceUri) {
    if (values.COURIER_QUEUES__clientId && !values.COURIER_QUEUES__credential) {
      problems.push(
        'COURIER_QUEUES__clientId needs COURIER_QUEUES__credential=managedidentity, as the Functions host reads it.',
      );
    }
    queues = {
      kind: 'endpoint',
      serviceUri: values.COURIER_QUEUES__queueServiceUri,
      managedIdentityClientId: values.COURIER_QUEUES__clientId,
    };
  } else {
    problems.push(
      'Set COURIER_QUEUES (a storage connection string) or COURIER_QUEUES__queueServiceUri with COURIER_QUEUES__credential=managedidentity and COURIER_QUEUES__clientId, for the notification queue.',
    );
  }

  let pinKey: CourierSettings['pinKey'] | undefined;
  if (values.COURIER_PIN_KEY_VAULT_URL || values.COURIER_PIN_KEY_NAME) {
    if (!values.COURIER_PIN_KEY_VAULT_URL || !values.COURIER_PIN_KEY_NAME) {
      problems.push('COURIER_PIN_KEY_VAULT_URL and COURIER_PIN_KEY_NAME go together.');
    } else {
      pinKey = {
        kind: 'key-vault',
        vaultUrl: values.COURIER_PIN_KEY_VAULT_URL,
        keyName: values.COURIER_PIN_KEY_NAME,
      };
    }
  } else if (values.COURIER_PIN_KEY_FILE) {
    pinKey = { kind: 'local-file', path: values.COURIER_PIN_KEY_FILE };
  } else {
    problems.push(
      'Set COURIER_PIN_KEY_VAULT_URL and COURIER_PIN_KEY_NAME (Key Vault), or COURIER_PIN_KEY_FILE (local mode only), for the PIN envelope key.',
    );
  }

  const policyInput = {
    ...DEFAULT_WORKFLOW_POLICY,
    ...defined({
      reminderHours: values.COURIER_REMINDER_HOURS,
      maxReminders: values.COURIER_MAX_REMINDERS,
      approvalExpiryDays: values.COURIER_APPROVAL_EXPIRY_DAYS,
      deliveryConfirmDays: values.COURIER_DELIVERY_CONFIRM_DAYS,
      maxStationAttempts: values.COURIER_MAX_STATION_ATTEMPTS,
      prefetchOptions: values.COURIER_PREFETCH_OPTIONS,
    }),
    fallbackApproversGroupId: values.COURIER_FALLBACK_APPROVERS_GROUP_ID,
  };
  const policy = workflowPolicySchema.safeParse(policyInput);
  const settingName: Record<string, string> = {
    reminderHours: 'COURIER_REMINDER_HOURS',
    maxReminders: 'COURIER_MAX_REMINDERS',
    approvalExpiryDays: 'COURIER_APPROVAL_EXPIRY_DAYS',
    deliveryConfirmDays: 'COURIER_DELIVERY_CONFIRM_DAYS',
    maxStationAttempts: 'COURIER_MAX_STATION_ATTEMPTS',
  };
  if (!policy.success) {
    for (const issue of policy.error.issues) {
      const key = String(issue.path[0]);
      problems.push(`${settingName[key] ?? key}: ${issue.message}.`);
    }
  }
  if (values.COURIER_PREFETCH_OPTIONS && values.FIDO2_OPTIONS_API !== 'beta') {
    problems.push(
      'COURIER_PREFETCH_OPTIONS=true needs FIDO2_OPTIONS_API=beta and FIDO2_CHALLENGE_TIMEOUT_MINUTES: v1.0 challenges last 5 minutes, too short to fetch ahead.',
    );
  }

  let keyClasses: KeyClass[] = [];
  try {
    const classes = z
      .array(keyClassSchema)
      .min(1)
      .safeParse(JSON.parse(values.COURIER_KEY_CLASSES));
    if (classes.success) keyClasses = classes.data;
    else
      problems.push(
        `COURIER_KEY_CLASSES: ${classes.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}.`,
      );
  } catch {
    problems.push(
      'COURIER_KEY_CLASSES must be JSON: [{"name":"YubiKey 5 NFC","allowedAaguids":["…"],"minimumFirmware":"5.7.0"}].',
    );
  }
  const names = new Set(keyClasses.map((k) => k.name));
  if (names.size !== keyClasses.length) problems.push('COURIER_KEY_CLASSES has duplicate names.');
  const defaultKeyClass = values.COURIER_DEFAULT_KEY_CLASS ?? keyClasses[0]?.name ?? '';
  if (keyClasses.length > 0 && !names.has(defaultKeyClass)) {
    problems.push(
      `COURIER_DEFAULT_KEY_CLASS "${defaultKeyClass}" is not one of COURIER_KEY_CLASSES (${[...names].join(', ')}).`,
    );
  }

  const maxLeaseSeconds = values.COURIER_MAX_LEASE_SECONDS ?? 300;
  if (!Number.isInteger(maxLeaseSeconds) || maxLeaseSeconds < 30 || maxLeaseSeconds > 900) {
    problems.push('COURIER_MAX_LEASE_SECONDS must be a whole number from 30 to 900.');
  }
  const resultWaitSeconds = values.COURIER_RESULT_WAIT_SECONDS ?? 25;
  if (resultWaitSeconds < 0 || resultWaitSeconds > 120) {
    problems.push('COURIER_RESULT_WAIT_SECONDS must be from 0 to 120.');
  }

  if (problems.length > 0 || !storage || !queues || !pinKey || !policy.success) {
    throw new ConfigurationError(problems);
  }
  const prefix = values.COURIER_TABLE_PREFIX ?? '';
  return {
    tenantId: values.COURIER_TENANT_ID,
    authorityHost: values.COURIER_AUTHORITY_HOST.replace(/\/+$/, ''),
    apiAudiences: values.COURIER_API_AUDIENCES,
    caPem,
    storage,
    queues,
    tables: {
      jobs: `${prefix}${DEFAULT_TABLE_NAMES.jobs}`,
      audit: `${prefix}${DEFAULT_TABLE_NAMES.audit}`,
      pins: `${prefix}${DEFAULT_TABLE_NAMES.pins}`,
      requests: `${prefix}CourierRequests`,
      outbox: `${prefix}CourierOutbox`,
      attempts: `${prefix}CourierAttempts`,
    },
    pinKey,
    policy: policy.data,
    itGroupId: values.COURIER_IT_GROUP_ID ?? values.COURIER_FALLBACK_APPROVERS_GROUP_ID,
    keyClasses,
    defaultKeyClass,
    maxLeaseSeconds,
    resultWaitSeconds,
    teamsAppCatalogId: values.COURIER_TEAMS_APP_CATALOG_ID,
  };
}

function defined<T extends Record<string, unknown>>(values: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(values).filter(([, value]) => value !== undefined),
  ) as Partial<T>;
}
