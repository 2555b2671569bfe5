import { parseArgs } from 'node:util';
import { runCtapBench } from './ctap-bench.ts';
import { runGraphBench } from './graph-bench.ts';
import { runMdsBench } from './mds-bench.ts';
import { runNotificationBench } from './notification-bench.ts';
import { runStationBench } from './station-bench.ts';
import { runWorkflowBench } from './workflow-bench.ts';

/**
 * Benchmarks print ratios measured side by side in one run; nothing here is a timed test.
 *   npm run bench -- ctap [--runs N]
 *   npm run bench -- graph [--users N] [--rate R]
 *   npm run bench -- workflow [--requests N] [--concurrency C]
 *   npm run bench -- station [--rounds N]
 *   npm run bench -- notifications [--requests N] [--concurrency C]
 *   npm run bench -- mds [--runs N]
 */
const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    runs: { type: 'string', default: '60' },
    users: { type: 'string', default: '1000' },
    rate: { type: 'string', default: '20' },
    requests: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '32' },
    rounds: { type: 'string', default: '3' },
  },
});
const runs = Number(values.runs);
const users = Number(values.users);
const rate = Number(values.rate);
const requests = Number(values.requests);
const concurrency = Number(values.concurrency);
const rounds = Number(values.rounds);
const SUITES: Record<string, () => Promise<void>> = {
  ctap: () => runCtapBench(runs),
  graph: () => runGraphBench({ users, rate }),
  workflow: () => runWorkflowBench({ requests, concurrency }),
  station: () => runStationBench(rounds),
  notifications: () =>
    runNotificationBench({
      requests: Math.min(requests, 200),
      concurrency: Math.min(concurrency, 8),
    }),
  mds: () => runMdsBench(runs),
};
const requested = positionals.length > 0 ? positionals : Object.keys(SUITES);
const unknown = requested.filter((name) => !(name in SUITES));
const badNumbers =
  !Number.isInteger(runs) ||
  runs < 20 ||
  !Number.isInteger(users) ||
  users < 1 ||
  !(rate > 0) ||
  !Number.isInteger(requests) ||
  requests < 1 ||
  !Number.isInteger(concurrency) ||
  concurrency < 1 ||
  !Number.isInteger(rounds) ||
  rounds < 1;
if (unknown.length > 0 || badNumbers) {
  console.error(
    `bench: ${unknown.length > 0 ? `unknown suite ${unknown.join(', ')}; ` : ''}` +
      `usage: npm run bench -- [${Object.keys(SUITES).join('|')}] [--runs N≥20] [--users N] [--rate R] [--requests N] [--concurrency C] [--rounds N]`,
  );
  process.exit(2);
}
for (const name of requested) {
  try {
    await SUITES[name]!();
  } catch (error) {
    console.error(`bench ${name}: ${(error as Error).message}`);
    process.exitCode = 1;
  }
}
