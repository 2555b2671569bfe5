import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionJob } from '../../../station/provision/provision-job.ts';
import type { KeyPrompts } from '../../../station/provision/key-prompts.ts';
import type { StationApiClient } from '../../../station/service/station-api-client.ts';
import { VIRTUAL_ATTESTATION_ROOT_PEM } from '../../../station/virtual-key/attestation-authority.ts';
import { startTestStack, type TestStack } from '../../functions/support/courier-stack.ts';
import { eventually } from '../../functions/support/eventually.ts';
import { plugKey, queueJobs, stationClient, type PluggedKey } from '../support/station-harness.ts';

let stack: TestStack;
let client: StationApiClient;
const plugged: PluggedKey[] = [];

beforeAll(async () => {
  stack = await startTestStack();
  client = stationClient(stack);
}, 60_000);
afterAll(async () => {
  for (const key of plugged) await key.close();
  client?.close();
  await stack?.stop();
});

function recordingPrompts(): KeyPrompts & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    step: (step, message) => lines.push(`${step}: ${message}`),
    prompt: (kind, message) => lines.push(`${kind}! ${message}`),
  };
}

async function programOne(transport: 'memory' | 'udp', jobId: string, stationId: string) {
  const key = await plugKey(transport);
  plugged.push(key);
  const claim = await client.claim(jobId, stationId);
  expect(claim).toBeDefined();
  const prompts = recordingPrompts();
  const result = await provisionJob({
    key: key.open,
    job: claim!.job,
    leaseId: claim!.lease.leaseId,
    service: client,
    prompts,
    attestationRoots: [VIRTUAL_ATTESTATION_ROOT_PEM],
  });
  return { key, claim: claim!, prompts, result };
}

describe('the per-key pipeline against the local stack', () => {
  for (const transport of ['memory', 'udp'] as const) {
    it(`programs, registers, checks and locks one key (${transport})`, async () => {
      const [jobId] = await queueJobs(stack, `one-${transport}`, ['lina.haddad@fabrikam.example']);
      const { key, claim, prompts, result } = await programOne(transport, jobId!, 'mailroom-1');
      expect(result).toMatchObject({ serial: key.key.serial, attempt: 1 });
      expect(result.plan).toMatchObject({ pinProtocol: 2, forcePinChange: true, notApplied: [] });
      // The key now demands a new PIN, and its minimum length is the policy's.
      const info = key.key.info();
      expect(info.forcePinChange).toBe(true);
      expect(info.options.clientPin).toBe(true);
      expect(info.minPinLength).toBe(6);
      // Every prompt names the key by serial and port.
      expect(prompts.lines.join('\n')).toContain(`key ${key.key.serial} on`);
      expect(prompts.lines.at(-1)).toMatch(/^done: /);
      // Graph holds the credential; the audit trail has the sign-in check.
      const methods = stack.tenant.controls.inspect().methods;
      expect(methods.map((m) => m.id)).toContain(result.methodId);
      // The workflow records its transitions as it gets to them.
      await eventually(async () => {
        const audit = await stack.as('admin').get(`manage/audit?requestId=${claim.job.requestId}`);
        const events = audit.json<{ records: { event: string }[] }>().records.map((r) => r.event);
        return ['registered', 'sign-in-checked', 'pin-change-confirmed'].every((e) =>
          events.includes(e),
        )
          ? true
          : undefined;
      }, 'the audit trail');
      const shipped = await client.ship(jobId!, {
        leaseId: claim.lease.leaseId,
        carrier: 'PostNord',
        trackingNumber: 'JD0146000062812',
      });
      expect(shipped.state).toBe('shipped');
    }, 60_000);
  }

  it('programs several keys in parallel, one job each', async () => {
    const users = [
      'chloe.dubois@fabrikam.example',
      'felix.wagner@fabrikam.example',
      'lars.eriksson@fabrikam.example',
    ];
    const jobIds = await queueJobs(stack, 'parallel-1', users);
    const results = await Promise.all(
      jobIds.map((id, i) => programOne(i % 2 ? 'udp' : 'memory', id, `mailroom-p${i}`)),
    );
    expect(new Set(results.map((r) => r.result.methodId)).size).toBe(3);
    for (const r of results) expect(r.key.key.info().forcePinChange).toBe(true);
  }, 90_000);
});
