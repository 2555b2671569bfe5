import { readFile, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FUNCTIONS_PACKAGE_DIRECTORY } from '../../deploy/package-functions-app.ts';
import { TAB_PACKAGE_DIRECTORY } from '../../deploy/package-tab.ts';
import {
  APP_SETTINGS_READ_AT_START_UP,
  SETTINGS_LEFT_UNSET_IN_AZURE,
} from '../../functions/config/azure-app-settings.ts';
import { GRAPH_APPLICATION_PERMISSIONS } from '../../functions/config/graph-application-permissions.ts';
import { graphGatewayOptionsFromEnvironment } from '../../core/graph/graph-settings.ts';
import { botSettingsFromEnvironment } from '../../functions/bot/bot-settings.ts';
import { courierSettingsFromEnvironment } from '../../functions/config/courier-settings.ts';
import {
  NOTIFICATION_QUEUE,
  QUEUE_CONNECTION,
} from '../../functions/notifications/notification-queue.ts';
import { hostSettingProblems } from '../../functions/config/host-settings.ts';
import { GraphPermission } from '../../local/tenant/graph/graph-permissions.ts';
import {
  countIdentifier,
  declaration,
  moduleParams,
  modules,
  objectProperties,
  readParams,
  stringLiterals,
} from './support/bicep-reader.ts';

const REPOSITORY = fileURLToPath(new URL('../../', import.meta.url));
const INFRA = join(REPOSITORY, 'infra');
const read = (path: string) => readFile(join(REPOSITORY, path), 'utf8');

async function bicepFiles(): Promise<string[]> {
  const entries = await readdir(INFRA, { recursive: true });
  return entries
    .filter((entry) => entry.endsWith('.bicep'))
    .map((entry) => relative(REPOSITORY, join(INFRA, entry)))
    .sort();
}

/** Every app setting functions.bicep gives the app: the keys of the objects it unions. */
async function bicepAppSettings(): Promise<Map<string, string>> {
  const source = await read('infra/app/functions.bicep');
  const call = /appSettingsKeyValuePairs:\s*union\(([^)]*)\)/.exec(source);
  if (!call) throw new Error('functions.bicep sets no appSettingsKeyValuePairs: union(...).');
  const settings = new Map<string, string>();
  const parameters = new Set(readParams(source).map((p) => p.name));
  for (const name of call[1]!
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)) {
    // A parameter (extraAppSettings) is the admin's own input, not a setting the deployment makes.
    if (parameters.has(name)) continue;
    for (const [key, value] of objectProperties(declaration(source, 'var', name))) {
      settings.set(key, value);
    }
  }
  return settings;
}

/** Settings host.json refers to: %NAME% values and connection names. */
function hostJsonSettings(hostJson: unknown): string[] {
  const names = new Set<string>();
  const visit = (value: unknown, key?: string) => {
    if (typeof value === 'string') {
      for (const m of value.matchAll(/%([A-Za-z0-9_]+)%/g)) names.add(m[1]!);
      if (key && /connection(String)?Name$/i.test(key)) names.add(value);
    } else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) visit(v, k);
    }
  };
  visit(hostJson);
  return [...names].sort();
}

describe('infra/: parameters', () => {
  it('every parameter of every Bicep file is used', async () => {
    const unused: string[] = [];
    for (const file of await bicepFiles()) {
      const source = await read(file);
      for (const param of readParams(source)) {
        if (countIdentifier(source, param.name) < 2) unused.push(`${file}: ${param.name}`);
      }
    }
    expect(unused).toEqual([]);
  });

  it('every parameter of main.bicep has a description and a line in infra/README.md', async () => {
    const readme = await read('infra/README.md');
    const params = readParams(await read('infra/main.bicep'));
    expect(params.length).toBeGreaterThan(5);
    for (const param of params) {
      expect(
        param.decorators.some((d) => d.startsWith('@description(')),
        param.name,
      ).toBe(true);
      expect(readme, `infra/README.md documents ${param.name}`).toContain(`\`${param.name}\``);
    }
  });

  it('main.parameters.json feeds only parameters main.bicep has, and every one without a default', async () => {
    const params = readParams(await read('infra/main.bicep'));
    const given = Object.keys(JSON.parse(await read('infra/main.parameters.json')).parameters);
    const names = params.map((p) => p.name);
    expect(given.filter((name) => !names.includes(name))).toEqual([]);
    const required = params.filter((p) => p.defaultValue === undefined).map((p) => p.name);
    expect(required.filter((name) => !given.includes(name))).toEqual([]);
  });

  it('every local module is called with parameters it declares, and all it requires', async () => {
    const problems: string[] = [];
    for (const file of await bicepFiles()) {
      const source = await read(file);
      for (const module of modules(source).filter((m) => m.path.endsWith('.bicep'))) {
        const target = join(file, '..', module.path);
        const declared = readParams(await read(target));
        const passed = [...moduleParams(source, module.name).keys()];
        for (const name of passed) {
          if (!declared.some((p) => p.name === name)) {
            problems.push(`${file} passes ${name}, which ${target} does not declare`);
          }
        }
        for (const param of declared.filter((p) => p.defaultValue === undefined)) {
          if (!passed.includes(param.name)) {
            problems.push(`${file} does not pass ${param.name} to ${target}`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });
});

describe('infra/: app settings', () => {
  it('sets every setting the app reads at start-up, or leaves it unset for a stated reason', async () => {
    const settings = await bicepAppSettings();
    const missing = APP_SETTINGS_READ_AT_START_UP.filter(
      (name) => !settings.has(name) && !(name in SETTINGS_LEFT_UNSET_IN_AZURE),
    );
    expect(
      missing,
      'Set each in infra/app/functions.bicep, or give the reason it stays unset in SETTINGS_LEFT_UNSET_IN_AZURE (functions/config/azure-app-settings.ts)',
    ).toEqual([]);
    // A reason given for a setting the Bicep does set, or the app does not read, is stale.
    const stale = Object.keys(SETTINGS_LEFT_UNSET_IN_AZURE).filter(
      (name) =>
        (settings.has(name) && name !== 'COURIER_TEAMS_APP_CATALOG_ID') ||
        !APP_SETTINGS_READ_AT_START_UP.includes(name),
    );
    expect(stale).toEqual([]);
  });

  it('sets what host.json names, and nothing that neither the app nor the host reads', async () => {
    const settings = await bicepAppSettings();
    const hostJson = JSON.parse(await read('functions/host.json'));
    const named = hostJsonSettings(hostJson);
    expect(named).toContain('TASKHUB_NAME');
    expect(named.filter((name) => !settings.has(name))).toEqual([]);
    const readByTheHost = (name: string) =>
      named.includes(name) ||
      /^(AzureWebJobsStorage__|APPLICATIONINSIGHTS_|AzureFunctionsJobHost__)/.test(name) ||
      name === 'NODE_OPTIONS';
    const unread = [...settings.keys()].filter(
      (name) => !APP_SETTINGS_READ_AT_START_UP.includes(name) && !readByTheHost(name),
    );
    expect(unread).toEqual([]);
  });

  it('reaches storage by identity only: no connection string, no key', async () => {
    const settings = await bicepAppSettings();
    expect(settings.get('AzureWebJobsStorage__credential')).toBe("'managedidentity'");
    expect(settings.has('AzureWebJobsStorage__accountName')).toBe(true);
    expect(settings.has('AzureWebJobsStorage')).toBe(false);
    expect(settings.get('GRAPH_AUTH')).toBe("'managed-identity'");
    const main = await read('infra/main.bicep');
    expect(objectProperties(declaration(main, 'module', 'storage')).size).toBeGreaterThan(0);
    expect(main).toMatch(/allowSharedKeyAccess: false/);
    for (const file of await bicepFiles()) {
      expect(await read(file), file).not.toMatch(/listKeys\(|AccountKey=|@secure\(\)/);
    }
  });
});

describe('infra/: notification delivery on write', () => {
  it("gives the queue trigger's connection by identity, the queue it listens on, and the role to use it", async () => {
    const settings = await bicepAppSettings();
    expect(settings.get(`${QUEUE_CONNECTION}__queueServiceUri`)).toBe(
      'storageAccount.properties.primaryEndpoints.queue',
    );
    expect(settings.get(`${QUEUE_CONNECTION}__credential`)).toBe("'managedidentity'");
    expect(settings.get(`${QUEUE_CONNECTION}__clientId`)).toBe('identityClientId');
    expect(settings.has(QUEUE_CONNECTION)).toBe(false);
    const main = await read('infra/main.bicep');
    expect(stringLiterals(declaration(main, 'var', 'notificationQueueName'))).toEqual([
      NOTIFICATION_QUEUE,
    ]);
    expect(declaration(main, 'module', 'storage')).toMatch(
      /queues: \[\{ name: notificationQueueName \}, \{ name: '\$\{notificationQueueName\}-poison' \}\]/,
    );
    // Sending, receiving, updating and deleting messages (the trigger's poison handling too).
    const access = await read('infra/app/storage-access.bicep');
    expect(
      objectProperties(declaration(access, 'var', 'roles')).get('Storage Queue Data Contributor'),
    ).toBe("'974c5e8b-45b9-4653-ba55-5f855dd0fb88'");
  });
});

describe('infra/: Durable Functions backend', () => {
  it('agrees with host.json on the backend, its connection and the task hub', async () => {
    const hostJson = JSON.parse(await read('functions/host.json'));
    const durableTask = hostJson.extensions.durableTask;
    const main = await read('infra/main.bicep');
    const functions = await read('infra/app/functions.bicep');
    const backend = readParams(main).find((p) => p.name === 'durableBackend');
    // host.json selects the Durable Task Scheduler, and so does the Bicep unless told otherwise.
    expect(durableTask.storageProvider.type).toBe('azureManaged');
    expect(backend?.defaultValue).toBe("'DurableTaskScheduler'");
    const durableSettings = declaration(functions, 'var', 'durableSettings');
    const [schedulerBranch, storageBranch] = durableSettings.split(/\n\s*:\s*\{/);
    const connection = objectProperties(schedulerBranch!).get(
      durableTask.storageProvider.connectionStringName,
    );
    expect(connection).toMatch(/^'Endpoint=\$\{\w+\};Authentication=ManagedIdentity;ClientID=/);
    // The Azure Storage choice overrides host.json's provider to the identity-based storage.
    const overrides = objectProperties(`{${storageBranch!}`);
    expect(
      overrides.get('AzureFunctionsJobHost__extensions__durableTask__storageProvider__type'),
    ).toBe("'AzureStorage'");
    // host.json's hub is %TASKHUB_NAME%; the app gets the same name the scheduler's task hub has.
    expect(durableTask.hubName).toBe('%TASKHUB_NAME%');
    expect(
      objectProperties(declaration(functions, 'var', 'hostSettings')).get('TASKHUB_NAME'),
    ).toBe('taskHubName');
    expect(moduleParams(main, 'functions').get('taskHubName')).toBe('taskHubName');
    expect(moduleParams(main, 'durable').get('taskHubName')).toBe('taskHubName');
    const scheduler = await read('infra/app/durable-task-scheduler.bicep');
    expect(scheduler).toMatch(
      /schedulers\/taskHubs@[\d-]+' = \{\s*parent: scheduler\s*name: taskHubName/,
    );
    expect(
      objectProperties(declaration(scheduler, 'var', 'roles')).get('Durable Task Data Contributor'),
    ).toBe("'0ad04412-c4d5-4796-b79c-f76d14c8d402'");
  });
});

/** A Bicep value's text made concrete: literals kept, interpolations and identifiers filled in. */
function evaluate(value: string, samples: Record<string, string>): string {
  const literal = /^'(.*)'$/.exec(value);
  if (literal)
    return literal[1]!.replace(/\$\{(\w+)\}/g, (_, name: string) => samples[name] ?? 'x');
  return samples[value] ?? 'x';
}

describe('infra/: the app accepts what the Bicep sets', () => {
  it("passes the app's own start-up checks (its settings, Graph, the bot, host.json's), with either backend", async () => {
    const main = await read('infra/main.bicep');
    const functions = await read('infra/app/functions.bicep');
    const guid = '0f2b1c5e-8d43-4f0a-9b7e-5c1d2e3f4a5b';
    // What the Bicep expressions evaluate to in Azure, in shape (ids, URLs, names).
    const samples: Record<string, string> = {
      taskHubName: stringLiterals(declaration(main, 'var', 'taskHubName'))[0]!,
      pinKeyName: stringLiterals(declaration(main, 'var', 'pinKeyName'))[0]!,
      storageAccountName: 'stcourierabc123',
      identityClientId: guid,
      durableTaskSchedulerEndpoint: 'https://dts-courier.westeurope.durabletask.io',
      'appInsights.properties.ConnectionString': `InstrumentationKey=${guid};IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/`,
      'tenant().tenantId': '5d2d1e3a-7c4b-4f1e-9a8d-3b6c2e1f0a47',
      apiAppId: '514ca42c-6f82-49ac-8b72-316d556237e4',
      apiAppIdUri: 'api://stapp.azurestaticapps.net/514ca42c-6f82-49ac-8b72-316d556237e4',
      'storageAccount.properties.primaryEndpoints.table':
        'https://stcourierabc123.table.core.windows.net/',
      'storageAccount.properties.primaryEndpoints.queue':
        'https://stcourierabc123.queue.core.windows.net/',
      pinKeyVaultUrl: 'https://kv-abc123.vault.azure.net/',
      fallbackApproversGroupId: '715fa8bf-b1d3-4c74-afd3-91e0654f74da',
      itGroupId: 'c6cae64e-1d28-45a6-aee8-70c3b429d3d3',
      'string(keyClasses)': JSON.stringify([
        {
          name: 'YubiKey 5 Series',
          allowedAaguids: ['2fc0579f-8113-47ea-b116-bb5a8db9202a'],
          minimumFirmware: '5.7.0',
        },
      ]),
      'keyClasses[0].name': 'YubiKey 5 Series',
      tabUrl: `https://teams.microsoft.com/l/entity/${guid}/requests`,
    };
    const settings = await bicepAppSettings();
    const durableSettings = declaration(functions, 'var', 'durableSettings');
    const [schedulerBranch, storageBranch] = durableSettings.split(/\n\s*:\s*\{/);
    const durableKeys = [...objectProperties(durableSettings).keys()];
    for (const branch of [schedulerBranch!, `{${storageBranch!}`]) {
      const chosen = objectProperties(branch);
      const env = Object.fromEntries(
        [...settings]
          .filter(([key]) => !durableKeys.includes(key) || chosen.has(key))
          .map(([key, value]) => [key, evaluate(value, samples)]),
      );
      expect(hostSettingProblems(env)).toEqual([]);
      expect(() => courierSettingsFromEnvironment(env)).not.toThrow();
      expect(() => graphGatewayOptionsFromEnvironment(env)).not.toThrow();
      expect(() => botSettingsFromEnvironment(env)).not.toThrow();
    }
  });
});

describe('infra/: least privilege', () => {
  it('grants the functions identity exactly the Graph permissions the code lists', async () => {
    const entra = await read('infra/app/entra.bicep');
    const granted = stringLiterals(declaration(entra, 'var', 'graphPermissions'));
    expect([...granted].sort()).toEqual(Object.keys(GRAPH_APPLICATION_PERMISSIONS).sort());
    expect(entra).toMatch(
      /for permission in graphPermissions: \{\s*principalId: functionsPrincipalId/,
    );
  });

  it('lists Graph permissions that the tenant accepts for every call the app makes, none unused', () => {
    const listed: readonly string[] = Object.keys(GRAPH_APPLICATION_PERMISSIONS);
    // Calls the deployment does not make (it leaves FIDO2_OPTIONS_API at v1.0), and why.
    const notMade: Record<string, string> = {
      betaCreationOptions: 'beta creation options only (FIDO2_OPTIONS_API=beta)',
    };
    // The local tenant enforces Microsoft's permission tables, operation by operation.
    for (const [operation, accepted] of Object.entries(GraphPermission)) {
      if (operation in notMade) continue;
      expect(
        accepted.some((p: string) => listed.includes(p)),
        operation,
      ).toBe(true);
    }
    for (const permission of listed) {
      expect(
        Object.values(GraphPermission).some((accepted: readonly string[]) =>
          accepted.includes(permission),
        ),
        permission,
      ).toBe(true);
    }
  });

  it('lets the functions identity read the PIN key and decrypt with it, nothing more', async () => {
    const vault = await read('infra/app/pin-key-vault.bicep');
    expect(vault).toMatch(/enableRbacAuthorization: true/);
    const key = declaration(vault, 'resource', 'key');
    expect(key).toMatch(/kty: 'RSA'/);
    expect(key).toMatch(/keyOps: \['decrypt'\]/);
    expect(key).toMatch(/exportable: false/);
    expect(stringLiterals(declaration(vault, 'var', 'pinKeyUserActions')).sort()).toEqual([
      'Microsoft.KeyVault/vaults/keys/decrypt/action',
      'Microsoft.KeyVault/vaults/keys/read',
    ]);
    const assignment = declaration(vault, 'resource', 'appAccess');
    expect(assignment).toMatch(/scope: key\n/);
    expect(assignment).toMatch(
      /roleDefinitionId: subscriptionResourceId\('Microsoft.Authorization\/roleDefinitions', pinKeyUser.name\)/,
    );
  });

  it('gives the storage roles by their built-in ids', async () => {
    const roles = objectProperties(
      declaration(await read('infra/app/storage-access.bicep'), 'var', 'roles'),
    );
    expect(Object.fromEntries(roles)).toEqual({
      'Storage Blob Data Owner': "'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'",
      'Storage Queue Data Contributor': "'974c5e8b-45b9-4653-ba55-5f855dd0fb88'",
      'Storage Table Data Contributor': "'0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'",
    });
  });
});

describe('infra/: what ARM, Flex Consumption and Graph refuse at deployment time', () => {
  it('gives every module deployment a name no other deployment in its resource group uses', async () => {
    // A module inside a module lands in the same group unless scoped elsewhere; reusing the outer
    // name makes ARM replace a running deployment (DeploymentActive).
    const names: string[] = [];
    for (const file of await bicepFiles()) {
      const source = await read(file);
      for (const { name } of modules(source)) {
        const deploymentName = /^\s*name:\s*'([^']*)'/m.exec(
          declaration(source, 'module', name),
        )?.[1];
        expect(deploymentName, `${file}: module ${name} has a literal name`).toBeDefined();
        names.push(deploymentName!);
      }
    }
    const literal = names.filter((n) => !n.includes('${deployment().name}'));
    expect(literal.filter((n, i) => literal.indexOf(n) !== i)).toEqual([]);
  });

  it('sets no site property Flex Consumption refuses', async () => {
    const site = declaration(await read('infra/app/functions.bicep'), 'module', 'site');
    const siteConfig = /siteConfig: \{([\s\S]*?)\n {4}\}/.exec(site)?.[1] ?? '';
    // From the Flex Consumption deprecations in the Functions app settings reference.
    for (const refused of [
      'ftpsState',
      'alwaysOn',
      'use32BitWorkerProcess',
      'linuxFxVersion',
      'javaVersion',
      'netFrameworkVersion',
      'powerShellVersion',
      'preWarmedInstanceCount',
      'functionAppScaleLimit',
    ]) {
      expect(siteConfig, refused).not.toMatch(new RegExp(`\\b${refused}:`));
    }
    for (const setting of [
      'FUNCTIONS_WORKER_RUNTIME',
      'FUNCTIONS_EXTENSION_VERSION',
      'WEBSITE_RUN_FROM_PACKAGE',
      'WEBSITE_NODE_DEFAULT_VERSION',
      'WEBSITE_CONTENTSHARE',
      'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING',
    ]) {
      expect([...(await bicepAppSettings()).keys()], setting).not.toContain(setting);
    }
  });

  it('pre-authorizes clients for the API scope only after a pass that created the scope', async () => {
    const entra = await read('infra/app/entra.bicep');
    expect(moduleParams(entra, 'apiApplicationScopes').get('preAuthorize')).toBe('false');
    expect(moduleParams(entra, 'apiApplication').get('preAuthorize')).toBe('true');
    expect(declaration(entra, 'module', 'apiApplication')).toMatch(
      /dependsOn: \[apiApplicationScopes\]/,
    );
    const api = await read('infra/app/api-application.bicep');
    expect(api).toMatch(/preAuthorizedApplications: preAuthorize \? preAuthorizedClients : \[\]/);
  });
});

describe('infra/ and the Teams manifest', () => {
  it("give the API the Application ID URI the manifest's SSO resource names", async () => {
    const api = await read('infra/app/api-application.bicep');
    const uri = /identifierUris: \['([^']+)'\]/.exec(api)?.[1];
    const manifest = JSON.parse(await read('teams-app/manifest.json'));
    expect(
      uri
        ?.replace('${tabDomain}', '${{COURIER_TAB_DOMAIN}}')
        .replace('${appId}', '${{COURIER_API_CLIENT_ID}}'),
    ).toBe(manifest.webApplicationInfo.resource);
    // The tab domain the URI uses is the static site's, which also serves the tab.
    const main = await read('infra/main.bicep');
    expect(
      moduleParams(await read('infra/app/entra.bicep'), 'apiApplication').get('tabDomain'),
    ).toBe('tabDomain');
    expect(moduleParams(main, 'entra').get('tabDomain')).toBe('tabDomain');
    expect(declaration(main, 'var', 'tabDomain')).toMatch(/= tab\.outputs\.defaultHostname/);
    expect(main).toMatch(/output COURIER_TAB_SITE_URL string = 'https:\/\/\$\{tabDomain\}\/'/);
    // The bot's deep link opens the manifest's "requests" tab of the package id the Bicep fixed.
    expect(declaration(main, 'var', 'tabDeepLink')).toContain('/l/entity/${teamsAppId}/requests');
    expect(manifest.staticTabs.map((tab: { entityId: string }) => tab.entityId)).toContain(
      'requests',
    );
  });
});

describe('azure.yaml', () => {
  it('deploys the package npm run package:functions builds, to the app tagged for it', async () => {
    const yaml = await read('azure.yaml');
    const scripts = JSON.parse(await read('package.json')).scripts;
    expect(scripts['package:functions']).toBeDefined();
    expect(yaml).toMatch(/^services:\n {2}functions:\n/m);
    expect(yaml).toContain(`dist: ${FUNCTIONS_PACKAGE_DIRECTORY}\n`);
    expect(yaml).toMatch(/host: function\n/);
    expect(yaml).toMatch(/remoteBuild: false\n/);
    expect(yaml.match(/run: npm run package:functions\n/g)?.length).toBe(2);
    // The tab's static site goes to the Static Web App tagged for the `tab` service.
    expect(scripts['package:tab']).toBeDefined();
    expect(yaml).toMatch(/\n {2}tab:\n {4}project: \.\n {4}language: js\n {4}host: staticwebapp\n/);
    expect(yaml).toContain(`dist: ${TAB_PACKAGE_DIRECTORY}\n`);
    expect(yaml.match(/run: npm run package:tab\n/g)?.length).toBe(2);
    expect(declaration(await read('infra/main.bicep'), 'module', 'tab')).toContain(
      "'azd-service-name': 'tab'",
    );
    // …and the API lets that origin call it.
    expect(moduleParams(await read('infra/main.bicep'), 'functions').get('tabOrigin')).toBe(
      "'https://${tabDomain}'",
    );
    expect(await read('infra/app/functions.bicep')).toMatch(
      /cors: \{ allowedOrigins: \[tabOrigin\]/,
    );
    expect(await read('infra/app/functions.bicep')).toContain("'azd-service-name': 'functions'");
    for (const hook of yaml.matchAll(/run: node --import tsx (\S+)\n/g)) {
      await expect(read(hook[1]!), hook[1]).resolves.toBeTruthy();
    }
  });
});
