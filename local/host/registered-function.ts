import type { FunctionCallback, FunctionMetadata, RpcBindingInfo } from './functions-core-api.ts';

/** What the host does with a function: serve it over HTTP, run it in Durable, or only list it. */
export type FunctionKind =
  'http' | 'orchestration' | 'activity' | 'entity' | 'timer' | 'queue' | 'other';

export interface HttpTriggerSettings {
  /** The route template as registered, or undefined for the default (the function name). */
  route: string | undefined;
  /** Upper-case methods; empty means every method. */
  methods: string[];
  authLevel: string;
}

export interface RegisteredFunction {
  name: string;
  kind: FunctionKind;
  metadata: FunctionMetadata;
  callback: FunctionCallback;
  triggerBindingName: string;
  triggerType: string;
  /** Names of the `durableClient` (or legacy `orchestrationClient`) extra inputs. */
  durableClientBindings: string[];
  /** Extra inputs the host cannot fill (storage, Cosmos DB…): listed so startup can say so. */
  unsupportedInputs: string[];
  http: HttpTriggerSettings | undefined;
}

const KIND_BY_TRIGGER: Record<string, FunctionKind> = {
  httptrigger: 'http',
  orchestrationtrigger: 'orchestration',
  activitytrigger: 'activity',
  entitytrigger: 'entity',
  timertrigger: 'timer',
  queuetrigger: 'queue',
};

/**
 * Reads one registration the way the Functions host indexes it: the trigger is the one `in`
 * binding whose type ends in "Trigger"; durable client inputs are recognised by type.
 */
export function describeRegistration(
  metadata: FunctionMetadata,
  callback: FunctionCallback,
): RegisteredFunction {
  let trigger: [string, RpcBindingInfo] | undefined;
  const durableClientBindings: string[] = [];
  const unsupportedInputs: string[] = [];
  for (const [name, binding] of Object.entries(metadata.bindings)) {
    const type = (binding.type ?? '').toLowerCase();
    if (binding.direction !== 'in') continue;
    if (type.endsWith('trigger')) trigger = [name, binding];
    else if (type === 'durableclient' || type === 'orchestrationclient')
      durableClientBindings.push(name);
    else unsupportedInputs.push(`${name} (${binding.type ?? 'no type'})`);
  }
  if (!trigger) {
    throw new Error(`Function "${metadata.name}" has no trigger binding.`);
  }
  const [triggerBindingName, triggerBinding] = trigger;
  const triggerType = triggerBinding.type ?? '';
  const kind = KIND_BY_TRIGGER[triggerType.toLowerCase()] ?? 'other';
  return {
    name: metadata.name,
    kind,
    metadata,
    callback,
    triggerBindingName,
    triggerType,
    durableClientBindings,
    unsupportedInputs,
    http: kind === 'http' ? httpSettings(triggerBinding) : undefined,
  };
}

function httpSettings(binding: RpcBindingInfo): HttpTriggerSettings {
  const route =
    typeof binding.route === 'string' && binding.route !== '' ? binding.route : undefined;
  const methods = Array.isArray(binding.methods)
    ? binding.methods.map((m) => String(m).toUpperCase())
    : [];
  const authLevel = typeof binding.authLevel === 'string' ? binding.authLevel : 'function';
  return { route, methods, authLevel };
}
