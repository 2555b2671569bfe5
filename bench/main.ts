import { parseArgs } from 'node:util';
import { runCtapBench } from './ctap-bench.ts';

/**
 * Benchmarks print ratios measured side by side in one run; nothing here is a timed test.
 *   npm run bench -- ctap [--runs N]
 */
const SUITES: Record<string, (runs: number) => Promise<void>> = {
  ctap: runCtapBench,
};

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { runs: { type: 'string', default: '60' } },
});
const runs = Number(values.runs);
const requested = positionals.length > 0 ? positionals : Object.keys(SUITES);
const unknown = requested.filter((name) => !(name in SUITES));
if (unknown.length > 0 || !Number.isInteger(runs) || runs < 20) {
  console.error(
    `bench: ${unknown.length > 0 ? `unknown suite ${unknown.join(', ')}; ` : ''}` +
      `usage: npm run bench -- [${Object.keys(SUITES).join('|')}] [--runs N≥20]`,
  );
  process.exit(2);
}
for (const name of requested) {
  try {
    await SUITES[name]!(runs);
  } catch (error) {
    console.error(`bench ${name}: ${(error as Error).message}`);
    process.exitCode = 1;
  }
}
