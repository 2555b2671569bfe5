import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FidoMetadata } from '../core/graph/fido-metadata.ts';
import { manualClock } from '../local/tenant/clock.ts';
import { startLocalTenant } from '../local/tenant/start-local-tenant.ts';

const DAY = 86_400_000;

/**
 * What checking the MDS3 BLOB's CRLs costs, side by side against the local tenant: `runs` loads
 * by a new reader (the BLOB and both CRLs fetched and verified) and `runs` daily refreshes of one
 * reader (the BLOB again; its CRLs, good for a week, from the cache until their nextUpdate).
 * Prints the medians, their ratio and the requests per load. Target: 3 per new reader, 1 + 2/7
 * (≈ 1.29) per daily refresh, the CRLs being fetched once a week.
 */
export async function runMdsBench(runs: number): Promise<void> {
  const tlsDirectory = mkdtempSync(join(tmpdir(), 'courier-bench-tls-'));
  const clock = manualClock(Date.now());
  const tenant = await startLocalTenant({ port: 0, tlsDirectory, now: clock.now });
  const reader = () =>
    new FidoMetadata({
      url: tenant.metadata.url,
      rootsPem: [tenant.metadata.rootPem],
      caPem: tenant.caPem,
      now: clock.now,
    });
  const requests = () => tenant.controls.counters().total;
  try {
    const cold: number[] = [];
    const before = requests();
    for (let i = 0; i < runs; i++) {
      const started = performance.now();
      await reader().blob();
      cold.push(performance.now() - started);
    }
    const coldRequests = (requests() - before) / runs;
    const refreshing = reader();
    await refreshing.blob();
    const warm: number[] = [];
    const beforeWarm = requests();
    for (let i = 0; i < runs; i++) {
      // A day and a minute: past the BLOB's cache (a day at most).
      clock.advance(DAY + 60_000);
      const started = performance.now();
      await refreshing.blob();
      warm.push(performance.now() - started);
    }
    const warmRequests = (requests() - beforeWarm) / runs;
    const coldMedian = median(cold);
    const warmMedian = median(warm);
    console.log(
      `mds: new reader (BLOB + 2 CRLs) median ${coldMedian.toFixed(1)} ms, ${coldRequests} requests; ` +
        `daily refresh median ${warmMedian.toFixed(1)} ms, ${warmRequests.toFixed(2)} requests; ` +
        `ratio ${(coldMedian / warmMedian).toFixed(2)}`,
    );
  } finally {
    await tenant.close();
    rmSync(tlsDirectory, { recursive: true, force: true });
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
