import type { RpcTypedData } from './functions-core-api.ts';
import { invocationLogTo, type HostLog } from './host-log.ts';
import { invokeFunction, type InvocationOutcome } from './invoke-function.ts';
import type { FunctionApp } from './load-function-app.ts';
import type { RegisteredFunction } from './registered-function.ts';

/**
 * Invokes a triggered function (HTTP, timer, queue) with its trigger's data and the durable client
 * binding it asks for, forwarding its logs; a failure is logged the way the Functions host says it.
 */
export async function invokeTrigger(
  host: { app: FunctionApp; durableClientInput: string; log: HostLog },
  fn: RegisteredFunction,
  trigger: RpcTypedData,
  triggerMetadata?: Record<string, RpcTypedData>,
): Promise<InvocationOutcome> {
  const outcome = await invokeFunction(host.app, fn, {
    ...(triggerMetadata ? { triggerMetadata } : {}),
    inputData: [
      { name: fn.triggerBindingName, data: trigger },
      ...fn.durableClientBindings.map((name) => ({
        name,
        data: { string: host.durableClientInput },
      })),
    ],
    log: invocationLogTo(host.log),
  });
  if (!outcome.ok) {
    host.log({
      level: 'error',
      category: 'host',
      message: `Executed '${fn.name}' (Failed, Id=${outcome.invocationId}).`,
      functionName: fn.name,
      invocationId: outcome.invocationId,
      error: outcome.error,
    });
  }
  return outcome;
}
