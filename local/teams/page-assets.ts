import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export type PageAssets = Map<string, { type: string; body: string }>;

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/**
 * The local Teams page and the personal tab, bundled for the browser with esbuild (once per
 * server start): the page's script carries the official Adaptive Cards renderer.
 */
export async function buildPageAssets(): Promise<PageAssets> {
  const { build } = await import('esbuild');
  const bundle = async (entry: string) => {
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      minify: false,
      logLevel: 'silent',
    });
    return result.outputFiles[0]!.text;
  };
  const assets: PageAssets = new Map();
  assets.set('/index.html', {
    type: 'text/html; charset=utf-8',
    body: await readFile(here('./page/index.html'), 'utf8'),
  });
  assets.set('/teams-page.js', {
    type: 'text/javascript; charset=utf-8',
    body: await bundle(here('./page/teams-page.ts')),
  });
  const tab = (path: string) =>
    fileURLToPath(new URL(`../../teams-app/tab/${path}`, import.meta.url));
  assets.set('/tab/', {
    type: 'text/html; charset=utf-8',
    body: await readFile(tab('index.html'), 'utf8'),
  });
  assets.set('/tab/tab.js', {
    type: 'text/javascript; charset=utf-8',
    body: await bundle(tab('tab.ts')),
  });
  return assets;
}
