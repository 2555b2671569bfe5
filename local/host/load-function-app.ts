import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ProgrammingModel } from './functions-core-api.ts';
import { installFunctionsCoreSeam, type CapturedHook } from './install-functions-core-seam.ts';
import { LocalHostError } from './local-host-error.ts';
import { describeRegistration, type RegisteredFunction } from './registered-function.ts';

/** A Functions app as the worker sees it after indexing: its functions, model and hooks. */
export interface FunctionApp {
  entry: string;
  functions: RegisteredFunction[];
  programmingModel: ProgrammingModel;
  hooks: CapturedHook[];
  /** Shared by every hook of the app (the worker's `appHookData`). */
  appHookData: Record<string, unknown>;
}

// An ES module runs once per process, so a second host for the same entry (tests start several)
// reuses what the first import registered. Handlers are plain functions, safe to share.
const loaded = new Map<string, Promise<FunctionApp>>();
let queue: Promise<unknown> = Promise.resolve();

/**
 * Imports the app's entry module with the `@azure/functions-core` seam in place and returns every
 * registration it made. Loads are serialised: a registration belongs to the import that is running.
 */
export function loadFunctionApp(entry: string): Promise<FunctionApp> {
  const path = resolve(entry);
  let app = loaded.get(path);
  if (!app) {
    app = queue.then(() => importApp(path));
    queue = app.catch(() => undefined);
    loaded.set(path, app);
    app.catch(() => loaded.delete(path));
  }
  return app;
}

async function importApp(entry: string): Promise<FunctionApp> {
  const seam = installFunctionsCoreSeam();
  const capture = seam.beginCapture();
  try {
    await import(pathToFileURL(entry).href);
  } catch (error) {
    throw new LocalHostError(
      'APP_LOAD_FAILED',
      `Importing the app's entry module ${entry} failed: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  } finally {
    capture.end();
  }
  const programmingModel = seam.programmingModel();
  if (capture.registrations.length === 0 || !programmingModel) {
    throw new LocalHostError(
      'APP_LOAD_FAILED',
      `${entry} registered no functions. Either it registers none, or @azure/functions was loaded and used in this process before the host installed its @azure/functions-core seam (it then stays in "test mode").`,
    );
  }
  let functions: RegisteredFunction[];
  try {
    functions = capture.registrations.map((r) => describeRegistration(r.metadata, r.callback));
  } catch (error) {
    throw new LocalHostError('APP_LOAD_FAILED', (error as Error).message, { cause: error });
  }
  return { entry, functions, programmingModel, hooks: capture.hooks, appHookData: {} };
}
