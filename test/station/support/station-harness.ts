import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { StationApiClient } from '../../../station/service/station-api-client.ts';
import { memorySlot, udpSlot } from '../../../station/provision/key-slots.ts';
import { openKey, type OpenKey } from '../../../station/provision/key-slot.ts';
import { serveVirtualKeyOverUdp, type UdpServer } from '../../../station/virtual-key/udp-server.ts';
import { VirtualKey, type VirtualKeyOptions } from '../../../station/virtual-key/virtual-key.ts';
import type { TestStack } from '../../functions/support/courier-stack.ts';
import { eventually } from '../../functions/support/eventually.ts';

/** The station API client as an operator's station uses it, against a test stack. */
export function stationClient(stack: TestStack, who = 'operator'): StationApiClient {
  return new StationApiClient({
    baseUrl: stack.host.url,
    caPem: stack.host.caPem,
    token: () => stack.token(who),
  });
}

/** Pre-approved requests through the admin bulk API; resolves with their job ids once queued. */
export async function queueJobs(
  stack: TestStack,
  batchId: string,
  users: string[],
): Promise<string[]> {
  const answer = await stack.as('admin').post('manage/requests/bulk', {
    batchId,
    requests: users.map((user) => ({ user })),
  });
  expect(answer.status, answer.text).toBe(200);
  const ids = answer
    .json<{ results: { requestId: string }[] }>()
    .results.map((r) => `job-${r.requestId}`);
  await eventually(
    async () => {
      const listed = await stack.as('operator').get('station/jobs');
      const jobs = listed.json<{ jobs: { jobId: string }[] }>().jobs.map((j) => j.jobId);
      return ids.every((id) => jobs.includes(id)) ? true : undefined;
    },
    `jobs ${ids.join(', ')} in the queue`,
  );
  return ids;
}

export interface PluggedKey {
  key: VirtualKey;
  open: OpenKey;
  server: UdpServer | undefined;
  close(): Promise<void>;
}

/** A software key plugged into the station, in-process or over HID-over-UDP on loopback. */
export async function plugKey(
  transport: 'memory' | 'udp',
  options: VirtualKeyOptions = {},
): Promise<PluggedKey> {
  const key = await VirtualKey.create({
    onInternalError: (error) => {
      throw error;
    },
    ...options,
  });
  const server = transport === 'udp' ? await serveVirtualKeyOverUdp(key, { port: 0 }) : undefined;
  const slot = server
    ? udpSlot({ port: server.port, localPort: 0 })
    : memorySlot(key, `memory ${key.serial}`);
  const open = await openKey(slot);
  const plugged: PluggedKey = {
    key,
    open,
    server,
    async close() {
      await plugged.open.close();
      await server?.close();
    },
  };
  return plugged;
}

/**
 * A station home in a fresh temporary folder, and the environment that points the `station`
 * command at the test stack (its CA written there), as `station config` would.
 */
export async function stationEnvironment(
  stack: TestStack,
  prefix: string,
): Promise<{ home: string; env: Record<string, string> }> {
  const home = await mkdtemp(join(tmpdir(), prefix));
  const caFile = join(home, 'ca.pem');
  await writeFile(caFile, stack.host.caPem);
  return {
    home,
    env: {
      STATION_HOME: home,
      STATION_SERVICE_URL: stack.host.url,
      STATION_TENANT_ID: stack.tenant.tenantId,
      STATION_AUTHORITY_HOST: stack.tenant.url,
      STATION_CLIENT_ID: stack.tenant.applications.station!.clientId,
      STATION_API_SCOPE: `api://${stack.tenant.applications.functions!.clientId}/access_as_user`,
      STATION_CA_FILE: caFile,
    },
  };
}

/** The token `station login` would have cached for `who` (login itself is tested in tmux). */
export async function cacheSignIn(stack: TestStack, home: string, who: string): Promise<void> {
  await writeFile(
    join(home, 'token.json'),
    JSON.stringify({
      token: await stack.token(who),
      expiresOn: Date.now() + 3_600_000,
      serviceUrl: stack.host.url,
      tenantId: stack.tenant.tenantId,
      clientId: stack.tenant.applications.station!.clientId,
      method: 'device-code',
    }),
    { mode: 0o600 },
  );
}
