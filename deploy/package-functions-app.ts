import { copyFile, mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { exclusionFor, type PackageExclusion } from './package-exclusions.ts';
import { PackageError } from './package-error.ts';

/**
 * Modules the Functions host provides at run time and that no package can supply: the Node.js
 * worker answers `require('@azure/functions-core')` itself (its Module.prototype.require hook).
 */
export const HOST_PROVIDED_MODULES = ['@azure/functions-core'] as const;

/** The app's entry point and host configuration, relative to the repository. */
export const FUNCTIONS_ENTRY = 'functions/index.ts';
export const FUNCTIONS_HOST_JSON = 'functions/host.json';
/** Where `npm run package:functions` writes the app, relative to the repository. */
export const FUNCTIONS_PACKAGE_DIRECTORY = 'dist/functions-app';

export interface FunctionsPackage {
  /** Absolute path of the app folder: what is zipped and deployed. */
  directory: string;
  /** The bundle, named by package.json's `main`. */
  main: string;
  /** Every file in the app folder, relative to it, sorted. */
  files: string[];
  /** Their total size in bytes. */
  bytes: number;
  /** What esbuild read to make the bundle, relative to the repository. */
  metafile: Metafile;
}

export interface PackageOptions {
  /** The repository root. */
  repository: string;
  /** Where to write the app; default dist/functions-app in the repository. */
  outDirectory?: string;
  /** The entry module, relative to the repository; default functions/index.ts. */
  entry?: string;
}

/**
 * Builds the deployable functions app: one ES module bundle of functions/index.ts with host.json
 * and a minimal package.json beside it, a valid Functions app root on its own. Nothing needs
 * node_modules: every dependency the app reaches is plain JavaScript and goes into the bundle,
 * and the one module it cannot contain is the host's. Fails, naming the import chain, if the
 * bundle would contain anything PACKAGE_EXCLUSIONS keeps out.
 */
export async function packageFunctionsApp(options: PackageOptions): Promise<FunctionsPackage> {
  const repository = options.repository;
  const directory = options.outDirectory ?? join(repository, FUNCTIONS_PACKAGE_DIRECTORY);
  await rm(directory, { recursive: true, force: true });
  await mkdir(directory, { recursive: true });
  const main = 'index.js';
  const entry = options.entry ?? FUNCTIONS_ENTRY;

  let metafile: Metafile;
  try {
    const result = await build({
      absWorkingDir: repository,
      entryPoints: [entry],
      outfile: join(directory, main),
      bundle: true,
      platform: 'node',
      format: 'esm',
      // The app supports Node 20 and 22; Azure runs it on 22.
      target: 'node20',
      external: [...HOST_PROVIDED_MODULES],
      // CommonJS dependencies `require` Node built-ins and the host module; in an ES module bundle
      // that `require` must be a real one, and it must go through Module.prototype.require, which
      // is where the worker answers for @azure/functions-core.
      banner: {
        js: "import { createRequire as __courierCreateRequire } from 'node:module'; const require = __courierCreateRequire(import.meta.url);",
      },
      minify: true,
      // Error classes take their name from the class (CourierError: new.target.name); logs and
      // `code` branches must see the same names in Azure as in tests.
      keepNames: true,
      sourcemap: 'linked',
      sourcesContent: false,
      legalComments: 'linked',
      metafile: true,
      logLevel: 'silent',
    });
    metafile = result.metafile;
  } catch (cause) {
    throw new PackageError(
      'BUNDLE_FAILED',
      `esbuild could not bundle ${entry}: ${(cause as Error).message}`,
      { cause },
    );
  }

  // One line per rule broken: the shortest import chain that breaks it, and how many files do.
  const offending = new Map<PackageExclusion, string[][]>();
  for (const input of Object.keys(metafile.inputs)) {
    const exclusion = exclusionFor(input);
    if (!exclusion) continue;
    const chains = offending.get(exclusion) ?? [];
    chains.push(importChain(metafile, entry, input));
    offending.set(exclusion, chains);
  }
  const problems = [...offending].map(([{ what, advice }, chains]) => {
    const shortest = chains.reduce((a, b) => (b.length < a.length ? b : a));
    const more = chains.length > 1 ? ` (${chains.length} files in all)` : '';
    return `${what}: ${shortest.join(' -> ')}${more}${advice ? `\n    ${advice}` : ''}`;
  });
  if (problems.length > 0) {
    await rm(directory, { recursive: true, force: true });
    throw new PackageError(
      'EXCLUDED_INPUT',
      `The functions app reaches code that must never be deployed:\n  - ${problems.join('\n  - ')}\nThe app may import functions/, core/ and plain-JavaScript packages only.`,
    );
  }

  try {
    await copyFile(join(repository, FUNCTIONS_HOST_JSON), join(directory, 'host.json'));
  } catch (cause) {
    throw new PackageError('REPOSITORY_INVALID', `${FUNCTIONS_HOST_JSON} cannot be read.`, {
      cause,
    });
  }
  await writeFile(
    join(directory, 'package.json'),
    `${JSON.stringify(functionsPackageJson(main), null, 2)}\n`,
  );
  // The import graph goes beside the app, not into it: for reading what the bundle holds.
  await writeFile(`${directory}.meta.json`, JSON.stringify(metafile));

  const files = await listFiles(directory);
  let bytes = 0;
  for (const file of files) bytes += (await stat(join(directory, file))).size;
  return { directory, main, files, bytes, metafile };
}

/** The package.json of the deployed app: an ES module whose `main` is the bundle, and nothing to install. */
export function functionsPackageJson(main: string): Record<string, unknown> {
  return {
    name: 'passkey-courier-functions',
    version: '0.1.0',
    private: true,
    description: 'Passkey Courier functions app (bundled by npm run package:functions).',
    type: 'module',
    main,
    engines: { node: '>=20.19' },
    dependencies: {},
  };
}

/** The shortest chain of imports from `entry` to `target`, for an error a developer can act on. */
export function importChain(metafile: Metafile, entry: string, target: string): string[] {
  const parent = new Map<string, string>();
  const queue = [entry];
  const seen = new Set(queue);
  while (queue.length > 0) {
    const current = queue.shift()!;
    if (current === target) break;
    for (const next of metafile.inputs[current]?.imports ?? []) {
      if (next.external || seen.has(next.path)) continue;
      seen.add(next.path);
      parent.set(next.path, current);
      queue.push(next.path);
    }
  }
  const chain = [target];
  for (let at = parent.get(target); at; at = parent.get(at)) chain.unshift(at);
  return chain;
}

async function listFiles(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(directory, join(entry.parentPath, entry.name)))
    .sort();
}
