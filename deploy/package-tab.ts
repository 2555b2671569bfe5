import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { TabConfig } from '../teams-app/tab/tab-auth.ts';
import { PackageError } from './package-error.ts';

/** Where the tab's static site is built, relative to the repository (azure.yaml's `tab` dist). */
export const TAB_PACKAGE_DIRECTORY = 'dist/tab';

export interface TabPackageOptions {
  repository: string;
  /** The functions app's origin, https://<app>.azurewebsites.net: the tab calls its API there. */
  apiBase: string;
  outDirectory?: string;
}

/**
 * The pages the Teams manifest links beside the tab (`privacyUrl`, `termsOfUseUrl`: /privacy and
 * /terms on the tab's domain), and the Static Web App configuration that serves them at those
 * paths, from teams-app/site/.
 */
export const SITE_FILES = [
  'privacy.html',
  'terms.html',
  'site.css',
  'staticwebapp.config.json',
] as const;

/**
 * The personal tab as a static site for the Static Web App: index.html, the tab's script bundled
 * for the browser, config.json naming the API, and the privacy and terms pages. Teams signs the
 * user in (SSO through teams-js); there is no local sign-in in a deployment.
 */
export async function packageTab(options: TabPackageOptions): Promise<string> {
  const apiBase = new URL(options.apiBase);
  if (apiBase.protocol !== 'https:' || apiBase.pathname !== '/') {
    throw new PackageError(
      'REPOSITORY_INVALID',
      `The tab's API base must be an https:// origin, not ${options.apiBase}.`,
    );
  }
  const directory = options.outDirectory ?? join(options.repository, TAB_PACKAGE_DIRECTORY);
  await rm(directory, { recursive: true, force: true });
  await mkdir(directory, { recursive: true });
  try {
    await build({
      absWorkingDir: options.repository,
      entryPoints: ['teams-app/tab/tab.ts'],
      outfile: join(directory, 'tab.js'),
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      minify: true,
      legalComments: 'linked',
      logLevel: 'silent',
    });
  } catch (cause) {
    throw new PackageError('BUNDLE_FAILED', `esbuild could not bundle the tab: ${String(cause)}`, {
      cause,
    });
  }
  await copyFile(
    join(options.repository, 'teams-app/tab/index.html'),
    join(directory, 'index.html'),
  );
  for (const file of SITE_FILES) {
    await copyFile(join(options.repository, 'teams-app/site', file), join(directory, file));
  }
  const config: TabConfig = { apiBase: apiBase.origin, localPersonas: false };
  await writeFile(join(directory, 'config.json'), `${JSON.stringify(config)}\n`);
  return directory;
}
