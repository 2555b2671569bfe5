import { describe, expect, it } from 'vitest';
import {
  activityFailure,
  orchestrationFailure,
  taskResultJson,
} from '../../../local/host/durable/durable-payloads.ts';
import { instanceFileName } from '../../../local/host/durable/instance-store.ts';
import { timeSpan } from '../../../local/host/durable/orchestration-episode.ts';
import { retryDelay } from '../../../local/host/durable/retry-delay.ts';
import { setCookieHeader } from '../../../local/host/http/write-rpc-http-response.ts';
import { LocalHostError } from '../../../local/host/local-host-error.ts';
import { parseAppConfig } from '../../../local/host/read-app-config.ts';

describe('host.json and local.settings.json', () => {
  it('reports the backend the app selects, resolving %app settings%', () => {
    const hostJson = {
      extensions: {
        durableTask: {
          hubName: '%TASKHUB_NAME%',
          storageProvider: {
            type: '%DURABLE_BACKEND%',
            connectionStringName: 'DURABLE_TASK_SCHEDULER_CONNECTION_STRING',
          },
          maxConcurrentActivityFunctions: 4,
        },
      },
    };
    const settings = { Values: { TASKHUB_NAME: 'Courier', DURABLE_BACKEND: 'azureManaged' } };
    const config = parseAppConfig(hostJson, settings, {});
    expect(config).toMatchObject({
      routePrefix: 'api',
      hubName: 'Courier',
      backend: 'durableTaskScheduler',
      connectionName: 'DURABLE_TASK_SCHEDULER_CONNECTION_STRING',
      maxConcurrentActivityFunctions: 4,
      replaceRunningInstances: false,
    });
    // The environment wins over local.settings.json, as for the Functions host.
    expect(
      parseAppConfig(hostJson, settings, {
        DURABLE_BACKEND: 'AzureStorage',
        TASKHUB_NAME: 'Other',
      }),
    ).toMatchObject({ backend: 'azureStorage', hubName: 'Other' });
  });

  it('defaults like the Functions host: api prefix, Azure Storage, TestHubName', () => {
    expect(parseAppConfig({ version: '2.0' }, undefined, {})).toMatchObject({
      routePrefix: 'api',
      hubName: 'TestHubName',
      backend: 'azureStorage',
      connectionName: 'Storage',
      settings: {},
    });
    const custom = { extensions: { http: { routePrefix: '/v1/' } } };
    expect(parseAppConfig(custom, undefined, {}).routePrefix).toBe('v1');
    const none = { extensions: { http: { routePrefix: '' } } };
    expect(parseAppConfig(none, undefined, {}).routePrefix).toBe('');
    const any = { extensions: { durableTask: { overridableExistingInstanceStates: 'AnyState' } } };
    expect(parseAppConfig(any, undefined, {}).replaceRunningInstances).toBe(true);
  });

  it('lets AzureFunctionsJobHost__ app settings override host.json, as the Functions host does', () => {
    const hostJson = {
      version: '2.0',
      extensions: {
        durableTask: {
          hubName: 'CourierHub',
          storageProvider: {
            type: 'azureManaged',
            connectionStringName: 'DURABLE_TASK_SCHEDULER_CONNECTION_STRING',
          },
        },
      },
    };
    const config = parseAppConfig(hostJson, undefined, {
      AzureFunctionsJobHost__extensions__durableTask__storageProvider__type: 'AzureStorage',
      azurefunctionsjobhost__Extensions__DurableTask__StorageProvider__ConnectionStringName:
        'AzureWebJobsStorage',
    });
    expect(config.backend).toBe('azureStorage');
    expect(config.connectionName).toBe('AzureWebJobsStorage');
    expect(config.hubName).toBe('CourierHub');
    // Without the overrides, host.json's own choice stands.
    expect(parseAppConfig(hostJson, undefined, {}).backend).toBe('durableTaskScheduler');
  });

  it('lists every problem in one error', () => {
    const broken = {
      extensions: {
        http: { routePrefix: 7 },
        durableTask: { hubName: '%MISSING%', storageProvider: { type: 'cosmos' } },
      },
    };
    let error: unknown;
    try {
      parseAppConfig(broken, { Values: { BAD: {} } }, {});
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(LocalHostError);
    expect((error as LocalHostError).code).toBe('APP_CONFIG_INVALID');
    const message = (error as Error).message;
    expect(message).toContain('routePrefix must be a string');
    expect(message).toContain('app setting MISSING');
    expect(message).toContain('"cosmos"');
    expect(message).toContain('Values.BAD');
  });
});

describe('what the host writes into history', () => {
  it('serialises activity results as the extension does', () => {
    expect(taskResultJson({ string: 'hi' })).toBe('"hi"');
    expect(taskResultJson({ json: '{"a":1}' })).toBe('{"a":1}');
    expect(taskResultJson({ int: 3 })).toBe('3');
    expect(taskResultJson({ bytes: new Uint8Array([1, 2]) })).toBe('"AQI="');
    expect(taskResultJson(undefined)).toBe('null');
  });

  it('formats activity failures like the Functions host and the extension', () => {
    const error = new Error('boom');
    const failure = activityFailure('ship', error);
    expect(failure.reason).toBe(
      `Activity function 'ship' failed: Result: Failure\nException: boom\nStack: ${error.stack}`,
    );
    expect(failure.failureDetails).toBeUndefined();
    const structured = activityFailure(
      'ship',
      new Error(JSON.stringify({ errorType: 'Lost', errorMessage: 'no', properties: { n: 1 } })),
    );
    expect(structured.failureDetails).toMatchObject({
      ErrorType: 'Lost',
      ErrorMessage: 'no',
      Properties: { n: 1 },
    });
  });

  it('reads the orchestrator state out of an OrchestrationFailureError', () => {
    const state = {
      isDone: false,
      actions: [[]],
      error: 'oops',
      customStatus: 'x',
      schemaVersion: 3,
    };
    const failure = orchestrationFailure(
      new Error(`oops\n\n$OutOfProcData$:${JSON.stringify(state)}`),
    );
    expect(failure.message).toBe('oops');
    expect(failure.state?.customStatus).toBe('x');
    expect(orchestrationFailure('plain').message).toBe('plain');
  });

  it('computes retry delays and TimeSpans as .NET does', () => {
    const options = { firstRetryIntervalInMilliseconds: 1000, maxNumberOfAttempts: 5 };
    expect(retryDelay(options, 0)).toBe(1000);
    expect(retryDelay({ ...options, backoffCoefficient: 2 }, 3)).toBe(8000);
    expect(
      retryDelay({ ...options, backoffCoefficient: 2, maxRetryIntervalInMilliseconds: 5000 }, 3),
    ).toBe(5000);
    expect(timeSpan(6 * 86_400_000)).toBe('6.00:00:00');
    expect(timeSpan(90_061_500)).toBe('1.01:01:01.500');
  });

  it('gives every instance id its own file', () => {
    expect(instanceFileName('Req-1')).not.toBe(instanceFileName('req-1'));
    expect(instanceFileName('a b')).not.toBe(instanceFileName('a_b'));
    expect(instanceFileName('x'.repeat(300)).length).toBeLessThan(120);
    expect(instanceFileName('../../etc/passwd')).not.toContain('/');
  });

  it('writes cookies with ASP.NET Core attribute spelling', () => {
    expect(
      setCookieHeader({
        name: 'id',
        value: 'x',
        domain: { value: 'localhost' },
        expires: { value: { seconds: 0 } },
        secure: { value: true },
        sameSite: 'explicitNone',
      }),
    ).toBe(
      'id=x; expires=Thu, 01 Jan 1970 00:00:00 GMT; domain=localhost; path=/; secure; samesite=none',
    );
  });
});
