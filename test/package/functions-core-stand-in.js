// A stand-in for the Azure Functions Node.js worker's built-in module, preloaded with
// `node --import`. It answers `require('@azure/functions-core')` the way the real worker does
// (a hook on Module.prototype.require; Azure/azure-functions-nodejs-worker src/setupCoreModule.ts),
// records every registration, and prints them as one JSON line when the process exits.
import Module from 'node:module';
import process from 'node:process';

const registrations = [];
let programmingModel;
const coreApi = {
  version: '3.10.0-stand-in',
  hostVersion: '4.1000.0-stand-in',
  registerFunction(metadata) {
    registrations.push({
      name: metadata.name,
      bindings: Object.values(metadata.bindings ?? {})
        .map((binding) =>
          [binding.direction, binding.type, binding.schedule].filter(Boolean).join(':'),
        )
        .sort(),
    });
    return { dispose() {} };
  },
  registerHook() {
    return { dispose() {} };
  },
  setProgrammingModel(model) {
    programmingModel = { name: model.name, version: model.version };
  },
  getProgrammingModel: () => programmingModel,
  log() {},
  Disposable: class {
    static from() {
      return new this();
    }
    dispose() {}
  },
};

const original = Module.prototype.require;
Module.prototype.require = new Proxy(original, {
  apply(target, thisArg, args) {
    return args[0] === '@azure/functions-core' ? coreApi : Reflect.apply(target, thisArg, args);
  },
});

process.on('exit', () => {
  process.stdout.write(
    `FUNCTIONS_CORE_STAND_IN ${JSON.stringify({ programmingModel, registrations })}\n`,
  );
});
