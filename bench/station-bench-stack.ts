import { benchEmployees } from './bench-employees.ts';
import { createInterface } from 'node:readline';
import { startBenchStack } from './start-bench-stack.ts';
import { loadTenantSeed } from '../local/tenant/seed/load-tenant-seed.ts';
import { signIn } from '../test/functions/support/courier-stack.ts';
import { httpsCall } from '../test/local/host/support/https-call.ts';

/**
 * The station bench's other process: tenant, Azurite and the functions host, with `--jobs N`
 * approved requests in the queue. Prints one JSON line (the app's URL, its CA, an operator's
 * token, the job ids), then runs until its standard input closes.
 */
const jobs = Number(process.argv[process.argv.indexOf('--jobs') + 1] ?? '9');
const seed = await loadTenantSeed();
const employees = benchEmployees(seed, jobs, {
  idBlock: '9100',
  upnPrefix: 'station.bench',
  displayName: 'Station Bench',
  employeeIdDigit: '7',
});
const { stack, close } = await startBenchStack('station', seed, employees);
const target = { url: stack.host.url, caPem: stack.host.caPem };
const admin = await signIn(stack, 'admin');
const operator = await signIn(stack, 'operator');
const ids: string[] = [];
for (let start = 0; start < employees.length; start += 100) {
  const batch = employees.slice(start, start + 100);
  const answer = await httpsCall(target, 'POST', '/api/manage/requests/bulk', {
    body: JSON.stringify({
      batchId: `station-bench-${start}`,
      requests: batch.map((e) => ({ user: e.userPrincipalName })),
    }),
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
  });
  if (answer.status !== 200) throw new Error(`bulk: ${answer.status} ${answer.text}`);
  ids.push(
    ...answer.json<{ results: { requestId: string }[] }>().results.map((r) => `job-${r.requestId}`),
  );
}
// Wait until every job is in the queue.
for (;;) {
  const listed = await httpsCall(target, 'GET', '/api/station/queue', {
    headers: { authorization: `Bearer ${operator}` },
  });
  const queued = new Set(listed.json<{ jobs: { jobId: string }[] }>().jobs.map((j) => j.jobId));
  if (ids.every((id) => queued.has(id))) break;
  await new Promise((resolve) => setTimeout(resolve, 200));
}
process.stdout.write(
  `${JSON.stringify({ url: stack.host.url, caPem: stack.host.caPem, token: operator, jobs: ids })}\n`,
);
createInterface({ input: process.stdin }).on('close', () => {
  void close().then(() => process.exit(0));
});
