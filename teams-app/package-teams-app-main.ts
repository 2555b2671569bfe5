import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildTeamsPackage, MANIFEST_SETTINGS, TeamsPackageError } from './package-teams-app.ts';

const USAGE = `npm run package:teams -- [--out FILE]

Builds the Teams app package (manifest.json, color.png, outline.png) from teams-app/manifest.json,
substituting ${MANIFEST_SETTINGS.join(', ')} from the environment, and validates the manifest
against the Teams schema offline. Default output: dist/teams-app/passkey-courier.zip.`;

const { values } = parseArgs({ options: { out: { type: 'string' }, help: { type: 'boolean' } } });
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
} else {
  const out = resolve(values.out ?? 'dist/teams-app/passkey-courier.zip');
  try {
    const zip = await buildTeamsPackage(process.env);
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, zip);
    process.stdout.write(`${out}\n`);
  } catch (error) {
    if (!(error instanceof TeamsPackageError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exitCode = 2;
  }
}
