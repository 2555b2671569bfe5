import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { LocalTenantError } from './local-tenant-error.ts';
import { startLocalTenant, type LocalTenantOptions } from './start-local-tenant.ts';
import { err, fail, out } from '../command-line-output.ts';

const USAGE = `npm run tenant -- [options]

Starts the local Entra ID + Microsoft Graph tenant. Prints its root URL, then the CA file.

  --port N             loopback port (default 8443; 0 picks one)            COURIER_TENANT_PORT
  --persona NAME       sign in as this persona with no browser or input     COURIER_TENANT_PERSONA
                       (employee, manager, operator, admin in the demo seed)
  --seed FILE          seed JSON (default local/tenant/seed/demo-organisation.json)
  --state FILE         keep passkeys, installations, policy and keys here   (default: memory only)
  --tls-dir DIR        local CA and certificate folder (default .courier/tls)
  --throttle R         throttle Graph to R requests per second (burst R)
  --method-ids FORM    fido2Method ids: credential-id or guid (default: one at random per run;
                       Graph documents neither)
  --no-controls        do not serve the test controls at /_courier/tenant
  --help`;

async function main(): Promise<void> {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse().values;
  } catch (error) {
    fail(`${(error as Error).message}\n\n${USAGE}`);
  }
  if (values.help) {
    out(USAGE);
    return;
  }
  const portText = values.port ?? process.env.COURIER_TENANT_PORT ?? '8443';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535)
    fail(`--port must be a TCP port, got "${portText}".`);
  const options: LocalTenantOptions = {
    port,
    controls: !values['no-controls'],
    onError: (error) =>
      err(
        `tenant error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      ),
  };
  const persona = values.persona ?? process.env.COURIER_TENANT_PERSONA;
  if (persona) options.persona = persona;
  if (values.seed) options.seed = values.seed;
  if (values.state) options.stateFile = values.state;
  if (values['tls-dir']) options.tlsDirectory = values['tls-dir'];
  if (values.throttle !== undefined) {
    const rate = Number(values.throttle);
    if (!(rate > 0))
      fail(
        `--throttle must be a positive number of requests per second, got "${values.throttle}".`,
      );
    options.throttle = { capacity: Math.max(1, Math.round(rate)), refillPerSecond: rate };
  }
  const form = values['method-ids'];
  if (form !== undefined) {
    if (form !== 'credential-id' && form !== 'guid')
      fail(`--method-ids must be credential-id or guid, got "${form}".`);
    options.methodIds = form;
  }
  let tenant: Awaited<ReturnType<typeof startLocalTenant>>;
  try {
    tenant = await startLocalTenant(options);
  } catch (error) {
    if (error instanceof LocalTenantError) fail(error.message);
    throw error;
  }
  // The two lines scripts read: the root URL, then the CA file to trust.
  out(tenant.url);
  out(tenant.caFile);
  err(
    `tenant ${tenant.tenantId}: authority ${tenant.authority}, Graph ${tenant.graphUrl.v1} and ${tenant.graphUrl.beta}, controls ${tenant.url}/_courier/tenant, ${tenant.methodIdForm} method ids${persona ? `, auto sign-in as ${persona}` : ''}`,
  );
  const stop = () => {
    void tenant.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

function parse() {
  return parseArgs({
    options: {
      port: { type: 'string' },
      persona: { type: 'string' },
      seed: { type: 'string' },
      state: { type: 'string' },
      'tls-dir': { type: 'string' },
      throttle: { type: 'string' },
      'method-ids': { type: 'string' },
      'no-controls': { type: 'boolean' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
