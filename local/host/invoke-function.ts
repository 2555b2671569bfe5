import { randomUUID } from 'node:crypto';
import type {
  CoreInvocationContext,
  RpcInvocationResponse,
  RpcLogCategory,
  RpcLogLevel,
  RpcParameterBinding,
  RpcTypedData,
} from './functions-core-api.ts';
import type { FunctionApp } from './load-function-app.ts';
import type { RegisteredFunction } from './registered-function.ts';

export interface InvocationLogRecord {
  functionName: string;
  invocationId: string;
  level: RpcLogLevel;
  category: RpcLogCategory;
  message: string;
}

export interface InvocationRequest {
  inputData: RpcParameterBinding[];
  triggerMetadata?: Record<string, RpcTypedData>;
  log?: (record: InvocationLogRecord) => void;
}

export type InvocationOutcome =
  | { ok: true; invocationId: string; response: RpcInvocationResponse; context: unknown }
  | { ok: false; invocationId: string; error: unknown; context: unknown };

/**
 * Invokes a function the way the Node.js worker does for an InvocationRequest from the host:
 * the programming model builds the real `InvocationContext` and inputs from RPC data, the app's
 * preInvocation hooks run, then the handler, then postInvocation hooks, and the model converts
 * the result back to RPC data. Going through the library's own converters (rather than building
 * HttpRequest and friends here) is what keeps requests, responses and durable payloads identical
 * to what the same code sees in Azure.
 */
export async function invokeFunction(
  app: FunctionApp,
  fn: RegisteredFunction,
  request: InvocationRequest,
): Promise<InvocationOutcome> {
  const invocationId = randomUUID();
  let context: unknown;
  const coreContext: CoreInvocationContext = {
    invocationId,
    request: {
      invocationId,
      functionId: fn.metadata.functionId ?? fn.name,
      inputData: request.inputData,
      triggerMetadata: request.triggerMetadata ?? {},
    },
    metadata: fn.metadata,
    log(level, category, message) {
      // The app's log hooks see (and may rewrite) each log first, as in the worker.
      const entry: Record<string, unknown> = {
        hookData: {},
        appHookData: app.appHookData,
        invocationContext: context,
        level,
        category,
        message,
      };
      for (const hook of app.hooks) {
        if (hook.name === 'log' && !hook.disposed) void hook.callback(entry);
      }
      request.log?.({
        functionName: fn.name,
        invocationId,
        level: entry.level as RpcLogLevel,
        category,
        message: String(entry.message),
      });
    },
  };
  try {
    const model = await app.programmingModel.getInvocationModel(coreContext);
    const args = await model.getArguments();
    context = args.context;
    const hookData: Record<string, unknown> = {};
    const pre = {
      hookData,
      appHookData: app.appHookData,
      invocationContext: context,
      inputs: args.inputs,
      functionCallback: fn.callback,
    };
    coreContext.state = 'preInvocationHooks';
    await runHooks(app, 'preInvocation', pre);
    coreContext.state = undefined;

    const post: Record<string, unknown> = {
      hookData,
      appHookData: app.appHookData,
      invocationContext: context,
      inputs: pre.inputs,
      result: null,
      error: null,
    };
    coreContext.state = 'invocation';
    try {
      post.result = await model.invokeFunction(context, pre.inputs, pre.functionCallback);
    } catch (error) {
      post.error = error;
    }
    coreContext.state = 'postInvocationHooks';
    await runHooks(app, 'postInvocation', post);
    coreContext.state = undefined;
    if (post.error !== null && post.error !== undefined) {
      return { ok: false, invocationId, error: post.error, context };
    }
    const response = await model.getResponse(context, post.result);
    return { ok: true, invocationId, response, context };
  } catch (error) {
    return { ok: false, invocationId, error, context };
  }
}

/** Runs the app's hooks of one kind in registration order; a throwing hook fails the invocation. */
export async function runHooks(
  app: FunctionApp,
  name: string,
  context: Record<string, unknown>,
): Promise<void> {
  for (const hook of app.hooks) {
    if (hook.name === name && !hook.disposed) await hook.callback(context);
  }
}
