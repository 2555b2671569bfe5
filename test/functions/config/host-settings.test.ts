import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../core/graph/graph-settings.ts';
import { courierSettingsFromEnvironment } from '../../../functions/config/courier-settings.ts';
import {
  HOST_JSON_SETTINGS,
  hostSettingProblems,
} from '../../../functions/config/host-settings.ts';

const hostJsonText = readFileSync(new URL('../../../functions/host.json', import.meta.url), 'utf8');
const hostJson = JSON.parse(hostJsonText) as {
  extensionBundle: { version: string };
  extensions: { durableTask: { storageProvider: { connectionStringName: string } } };
};
const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

/** Every app setting host.json uses: %NAME% references and connection names. */
const referenced = [
  ...[...hostJsonText.matchAll(/%([^%]+)%/g)].map((m) => m[1]!),
  hostJson.extensions.durableTask.storageProvider.connectionStringName,
];

const GOOD = {
  TASKHUB_NAME: 'CourierProd',
  DURABLE_TASK_SCHEDULER_CONNECTION_STRING:
    'Endpoint=https://courier-dts.westeurope.durabletask.io;Authentication=ManagedIdentity',
};

describe('host.json', () => {
  it('asks for an extension bundle that has the Durable Task Scheduler provider (4.30.0 on)', () => {
    expect(hostJson.extensionBundle.version).toBe('[4.30.0, 5.0.0)');
  });

  it('uses only settings the app checks at start-up and the README documents', () => {
    expect(referenced.length).toBeGreaterThan(1);
    for (const name of referenced) {
      expect(Object.values(HOST_JSON_SETTINGS), name).toContain(name);
      expect(readme, name).toContain(`\`${name}\``);
    }
  });

  it('reports each missing or malformed host.json setting by name', () => {
    expect(hostSettingProblems(GOOD)).toEqual([]);
    for (const name of referenced) {
      const problems = hostSettingProblems({ ...GOOD, [name]: undefined });
      expect(problems, name).toHaveLength(1);
      expect(problems[0]).toContain(name);
    }
    expect(hostSettingProblems({ ...GOOD, TASKHUB_NAME: 'courier-hub!' })[0]).toContain(
      'not a valid task hub name',
    );
    expect(
      hostSettingProblems({
        ...GOOD,
        DURABLE_TASK_SCHEDULER_CONNECTION_STRING: 'UseDevelopmentStorage=true',
      })[0],
    ).toContain('Durable Task Scheduler connection string');
    // Switched to Azure Storage by app settings: the connection it names is the one required.
    const storage = {
      TASKHUB_NAME: 'CourierProd',
      AzureFunctionsJobHost__extensions__durableTask__storageProvider__type: 'AzureStorage',
      AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionStringName:
        'AzureWebJobsStorage',
    };
    expect(hostSettingProblems(storage)[0]).toContain('AzureWebJobsStorage is required');
    expect(
      hostSettingProblems({ ...storage, AzureWebJobsStorage: 'UseDevelopmentStorage=true' }),
    ).toEqual([]);
  });

  it('stops the app settings check with the host.json problems among the rest', () => {
    let error: unknown;
    try {
      courierSettingsFromEnvironment({});
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    const problems = (error as ConfigurationError).problems;
    expect(problems.some((p) => p.startsWith('TASKHUB_NAME is required'))).toBe(true);
    expect(
      problems.some((p) => p.startsWith('DURABLE_TASK_SCHEDULER_CONNECTION_STRING is required')),
    ).toBe(true);
    expect(problems.some((p) => p.includes('COURIER_TENANT_ID'))).toBe(true);
  });
});
