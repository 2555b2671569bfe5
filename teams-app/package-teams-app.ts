import { readFile } from 'node:fs/promises';
import { AppManifestUtils, type AppManifest } from '@microsoft/app-manifest';
import yazl from 'yazl';
import { CourierError } from '../core/courier-error.ts';
import { drawIcons } from './teams-app-icons.ts';

/** The settings the manifest names, as `${{NAME}}`; COURIER_TAB_DOMAIN comes from the tab URL. */
export const MANIFEST_SETTINGS = [
  'COURIER_TEAMS_APP_ID',
  'COURIER_BOT_APP_ID',
  'COURIER_API_CLIENT_ID',
  'COURIER_TAB_URL',
] as const;

/** The package cannot be built: every problem, each a sentence someone can act on. */
export class TeamsPackageError extends CourierError<'INVALID_PACKAGE'> {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(
      'INVALID_PACKAGE',
      `The Teams app package cannot be built:\n  - ${problems.join('\n  - ')}`,
    );
    this.problems = problems;
  }
}

const TEMPLATE = new URL('./manifest.json', import.meta.url);

/**
 * The manifest for these settings: every `${{NAME}}` substituted (a missing or malformed
 * setting is a problem, all reported at once), then validated offline against the Teams schema
 * that `@microsoft/app-manifest` bundles for its `$schema`.
 */
export async function buildManifest(env: Record<string, string | undefined>): Promise<AppManifest> {
  const problems: string[] = [];
  const values: Record<string, string> = {};
  for (const name of MANIFEST_SETTINGS) {
    const value = env[name]?.trim();
    if (!value) problems.push(`Set ${name}.`);
    else values[name] = value;
  }
  if (values.COURIER_TAB_URL) {
    try {
      const url = new URL(values.COURIER_TAB_URL);
      if (url.protocol !== 'https:') problems.push('COURIER_TAB_URL must be an https:// URL.');
      values.COURIER_TAB_DOMAIN = url.host;
    } catch {
      problems.push('COURIER_TAB_URL is not a URL.');
    }
  }
  if (problems.length > 0) throw new TeamsPackageError(problems);
  const template = await readFile(TEMPLATE, 'utf8');
  const text = template.replace(/\$\{\{(\w+)\}\}/g, (whole, name: string) => {
    const value = values[name];
    if (value === undefined) {
      problems.push(`The manifest names ${name}, which is not a setting the package knows.`);
      return whole;
    }
    return JSON.stringify(value).slice(1, -1);
  });
  if (problems.length > 0) throw new TeamsPackageError(problems);
  const manifest = JSON.parse(text) as AppManifest;
  const errors = await AppManifestUtils.validateAgainstSchema(manifest);
  if (errors.length > 0) throw new TeamsPackageError(errors.map((e) => `manifest${e}`));
  return manifest;
}

/** The app package: manifest.json and the two icons at the root of a zip, as Teams expects. */
export async function buildTeamsPackage(env: Record<string, string | undefined>): Promise<Buffer> {
  const manifest = await buildManifest(env);
  const icons = drawIcons();
  const zip = new yazl.ZipFile();
  // A fixed date keeps the package identical for identical settings.
  const mtime = new Date('2026-01-01T00:00:00Z');
  zip.addBuffer(Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`), 'manifest.json', { mtime });
  zip.addBuffer(icons.color, 'color.png', { mtime });
  zip.addBuffer(icons.outline, 'outline.png', { mtime });
  zip.end();
  const parts: Buffer[] = [];
  for await (const part of zip.outputStream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}
