import { fileURLToPath } from 'node:url';
import { relative } from 'node:path';
import { packageFunctionsApp } from './package-functions-app.ts';

// `npm run package:functions`: builds dist/functions-app, the folder azd zips and deploys.
const repository = fileURLToPath(new URL('../', import.meta.url));
try {
  const pkg = await packageFunctionsApp({ repository });
  const megabytes = (pkg.bytes / 1024 / 1024).toFixed(2);
  console.log(`${relative(repository, pkg.directory)}: ${pkg.files.length} files, ${megabytes} MB`);
  for (const file of pkg.files) console.log(`  ${file}`);
} catch (error) {
  console.error((error as Error).message);
  process.exitCode = 1;
}
