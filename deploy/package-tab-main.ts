import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigurationError } from '../core/graph/graph-settings.ts';
import { packageTab } from './package-tab.ts';

// `npm run package:tab` (azd runs it before deploying the `tab` service): the tab's static site,
// pointed at this deployment's API (COURIER_FUNCTIONS_DOMAIN, an output of infra/main.bicep).
const repository = fileURLToPath(new URL('../', import.meta.url));
try {
  const domain = process.env.COURIER_FUNCTIONS_DOMAIN?.trim();
  if (!domain) {
    throw new ConfigurationError([
      'COURIER_FUNCTIONS_DOMAIN is missing: it comes from `azd provision` (infra/main.bicep outputs).',
    ]);
  }
  const directory = await packageTab({ repository, apiBase: `https://${domain}/` });
  console.log(`${relative(repository, directory)}: the tab, calling https://${domain}/api`);
} catch (error) {
  console.error((error as Error).message);
  process.exitCode = 1;
}
