import Module, { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type {
  Disposable,
  FunctionCallback,
  FunctionMetadata,
  HookCallback,
  ProgrammingModel,
  RpcLogCategory,
  RpcLogLevel,
} from './functions-core-api.ts';

/** One `registerFunction` call: the metadata with its bindings and the handler the library built. */
export interface CapturedRegistration {
  metadata: FunctionMetadata;
  callback: FunctionCallback;
}

export interface CapturedHook {
  name: string;
  callback: HookCallback;
  disposed: boolean;
}

/** What the app registered while its entry module was imported. */
export interface Capture {
  readonly registrations: CapturedRegistration[];
  readonly hooks: CapturedHook[];
  end(): void;
}

export type CoreLogSink = (level: RpcLogLevel, category: RpcLogCategory, message: string) => void;

export interface FunctionsCoreSeam {
  /** Starts collecting registrations; everything registered until `end()` belongs to it. */
  beginCapture(): Capture;
  /** The programming model `@azure/functions` set (once per process, on its first registration). */
  programmingModel(): ProgrammingModel | undefined;
  /** Where the library's own system logs go (`coreApi.log`). */
  setLogSink(sink: CoreLogSink | undefined): void;
}

// The worker injects this module under a name no package provides; the library `require`s it
// lazily and, when it is missing, switches to a "test mode" that only warns. Resolving the name to
// a synthetic file whose module is already in the require cache is what makes the library see a
// host. The path never exists on disk: Module._load finds the cache entry before reading anything.
const MODULE_NAME = '@azure/functions-core';
const SYNTHETIC_FILENAME = fileURLToPath(
  new URL('./__azure-functions-core__.cjs', import.meta.url),
);

interface ModuleInternals {
  _resolveFilename(request: string, parent: unknown, isMain: boolean, options?: unknown): string;
  _cache: Record<string, unknown>;
}

let installed: FunctionsCoreSeam | undefined;

/**
 * Installs the fake `@azure/functions-core` for this process and returns its control surface.
 * Idempotent: the library caches the core module on first use, so there can only be one.
 * It must run before the app's first `app.*` registration, which is why the host installs it
 * before importing the entry module; if `@azure/functions` already ran in test mode in this
 * process, its registrations never reach the seam and loading reports that clearly.
 */
export function installFunctionsCoreSeam(): FunctionsCoreSeam {
  if (installed) return installed;

  let model: ProgrammingModel | undefined;
  let active: Capture | undefined;
  let latest: Capture | undefined;
  let logSink: CoreLogSink | undefined;

  const disposable = (dispose: () => void): Disposable => ({ dispose });
  class CoreDisposable implements Disposable {
    static from(...likes: { dispose: () => unknown }[]): CoreDisposable {
      return new CoreDisposable(() => likes.forEach((like) => like.dispose()));
    }
    readonly #dispose: () => unknown;
    constructor(callOnDispose: () => unknown) {
      this.#dispose = callOnDispose;
    }
    dispose(): void {
      this.#dispose();
    }
  }

  const api = {
    version: '3.10.0-local',
    hostVersion: '4.1000.0-local',
    Disposable: CoreDisposable,
    registerFunction(metadata: FunctionMetadata, callback: FunctionCallback): Disposable {
      // The worker accepts registrations only while it loads the app, and refuses duplicates;
      // doing the same here keeps an app that starts locally from failing in Azure.
      if (!active) throw new Error('A function can only be registered during app startup.');
      const id = (metadata.functionId ?? metadata.name).toLowerCase();
      if (
        active.registrations.some(
          (r) => (r.metadata.functionId ?? r.metadata.name).toLowerCase() === id,
        )
      ) {
        throw new Error(
          `A function with id "${metadata.functionId ?? metadata.name}" has already been registered.`,
        );
      }
      active.registrations.push({ metadata, callback });
      return disposable(() => undefined);
    },
    registerHook(name: string, callback: HookCallback): Disposable {
      // Hooks, unlike functions, may be registered at any time (an appStart hook often registers
      // the invocation hooks); late ones belong to the app loaded last.
      const owner = active ?? latest;
      if (!owner) throw new Error(`Hook "${name}" was registered before any app was loaded.`);
      const hook: CapturedHook = { name, callback, disposed: false };
      owner.hooks.push(hook);
      return disposable(() => {
        hook.disposed = true;
      });
    },
    setProgrammingModel(programmingModel: ProgrammingModel): void {
      model = programmingModel;
    },
    getProgrammingModel(): ProgrammingModel | undefined {
      return model;
    },
    log(level: RpcLogLevel, category: RpcLogCategory, message: string): void {
      logSink?.(level, category, message);
    },
  };

  const internals = Module as unknown as ModuleInternals;
  const resolve = internals._resolveFilename.bind(Module);
  internals._resolveFilename = (request, parent, isMain, options) =>
    request === MODULE_NAME ? SYNTHETIC_FILENAME : resolve(request, parent, isMain, options);
  const synthetic = new Module(SYNTHETIC_FILENAME);
  synthetic.filename = SYNTHETIC_FILENAME;
  synthetic.exports = api;
  synthetic.loaded = true;
  internals._cache[SYNTHETIC_FILENAME] = synthetic;
  // Sanity check through the real resolution path, so a Node change that bypasses the patch
  // fails here, loudly, rather than as an app that silently registers nothing.
  if (createRequire(import.meta.url)(MODULE_NAME) !== api) {
    throw new Error(
      'The @azure/functions-core seam could not be installed in this Node.js version.',
    );
  }

  installed = {
    beginCapture(): Capture {
      const capture: Capture = {
        registrations: [],
        hooks: [],
        end() {
          if (active === capture) active = undefined;
        },
      };
      active = capture;
      latest = capture;
      return capture;
    },
    programmingModel: () => model,
    setLogSink(sink) {
      logSink = sink;
    },
  };
  return installed;
}
