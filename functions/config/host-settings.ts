/**
 * The app settings functions/host.json refers to: `%TASKHUB_NAME%` and the Durable Task
 * Scheduler's connection (by name). The host resolves them itself, and a missing one surfaces
 * only as a Durable extension that never starts; so the app checks them at start-up with the
 * rest of its settings and says which one is wrong. Keep in step with host.json (a test does).
 */
export const HOST_JSON_SETTINGS = {
  taskHub: 'TASKHUB_NAME',
  schedulerConnection: 'DURABLE_TASK_SCHEDULER_CONNECTION_STRING',
} as const;

/** App settings that override host.json's storage provider (Azure Storage instead of DTS). */
const PROVIDER_OVERRIDE = 'AzureFunctionsJobHost__extensions__durableTask__storageProvider__';

/** Every problem with the settings host.json needs, each naming the setting and the fix. */
export function hostSettingProblems(env: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  const hub = env[HOST_JSON_SETTINGS.taskHub]?.trim();
  if (!hub) {
    problems.push(
      `${HOST_JSON_SETTINGS.taskHub} is required: host.json names the durable task hub %${HOST_JSON_SETTINGS.taskHub}%.`,
    );
  } else if (!/^[A-Za-z][A-Za-z0-9]{2,49}$/.test(hub)) {
    problems.push(
      `${HOST_JSON_SETTINGS.taskHub} "${hub}" is not a valid task hub name (3 to 50 letters and digits, starting with a letter).`,
    );
  }
  const type = (env[`${PROVIDER_OVERRIDE}type`] ?? 'azureManaged').trim();
  const connectionName =
    env[`${PROVIDER_OVERRIDE}connectionStringName`]?.trim() ||
    (type === 'azureManaged' ? HOST_JSON_SETTINGS.schedulerConnection : 'AzureWebJobsStorage');
  const connection = env[connectionName]?.trim();
  // Azure Storage may also be reached by identity: <name>__accountName (or __blobServiceUri…)
  // with __credential, as the Functions host accepts it; infra/ deploys it that way.
  const identityBased =
    type !== 'azureManaged' &&
    Object.entries(env).some(
      ([key, value]) => key.startsWith(`${connectionName}__`) && Boolean(value?.trim()),
    );
  if (!connection && !identityBased) {
    problems.push(
      `${connectionName} is required: it is the durable backend's connection (storage provider ${type}).`,
    );
  } else if (
    type === 'azureManaged' &&
    connection &&
    !(
      /(^|;)\s*Endpoint=https?:\/\/[^;]+/i.test(connection) &&
      /(^|;)\s*Authentication=[^;]+/i.test(connection)
    )
  ) {
    problems.push(
      `${connectionName} must be a Durable Task Scheduler connection string: "Endpoint=https://<scheduler>;Authentication=ManagedIdentity[;ClientID=<id>]".`,
    );
  }
  return problems;
}
