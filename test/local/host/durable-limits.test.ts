import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MAX_CUSTOM_STATUS_KB,
  MAX_PAYLOAD_BYTES,
} from '../../../local/host/durable/durable-limits.ts';
import { DEFAULT_TIMER_POLICY } from '../../../local/host/start-local-host.ts';
import {
  isTerminal,
  removeTemporaryFolders,
  startSampleHost,
  type SampleHost,
} from './support/sample-host.ts';

/** The host under its default policy: it refuses what Azure's Durable backends refuse. */
let sample: SampleHost;
beforeAll(async () => {
  sample = await startSampleHost({ timerPolicy: DEFAULT_TIMER_POLICY });
});
afterAll(async () => {
  await sample.close();
  removeTemporaryFolders();
});

async function run(name: string, instanceId: string, input: unknown) {
  await sample.host.engine.startNew(name, { instanceId, input: JSON.stringify(input) });
  return sample.waitFor(instanceId, isTerminal);
}

describe('the local host holds an app to the Durable limits', () => {
  it('fails an orchestration that creates a timer more than 3 days out, and runs one of 3 days', async () => {
    const refused = await run('longWait', 'four-days', 4);
    expect(refused.runtimeStatus).toBe('Failed');
    expect(String(refused.output)).toContain('is 4 days past the orchestration');
    expect(String(refused.output)).toContain('at most 3 days');

    await sample.host.engine.startNew('longWait', { instanceId: 'three-days', input: '3' });
    await sample.waitFor('three-days', (r) => r.runtimeStatus === 'Running');
    sample.clock!.advance(3 * 86_400_000);
    expect((await sample.waitFor('three-days', isTerminal)).runtimeStatus).toBe('Completed');
  });

  it('fails an orchestration whose custom status is over 16 KB of UTF-16, with the extension’s words', async () => {
    // The status is a JSON string: its characters plus two quotes, two bytes each. The
    // extension truncates to whole kilobytes: 16 KB and 1,022 bytes passes, 17 KB fails.
    const charsFor = (bytes: number) => bytes / 2 - 2;
    const fits = await run('sized', 'status-fits', {
      what: 'status',
      chars: charsFor((MAX_CUSTOM_STATUS_KB + 1) * 1024 - 2),
    });
    expect(fits.runtimeStatus).toBe('Completed');
    const refused = await run('sized', 'status-big', {
      what: 'status',
      chars: charsFor((MAX_CUSTOM_STATUS_KB + 1) * 1024),
    });
    expect(refused.runtimeStatus).toBe('Failed');
    expect(String(refused.output)).toContain(
      'The UTF-16 size of the JSON-serialized payload must not exceed 16 KB. The current payload size is 17 KB.',
    );
  });

  it('refuses activity inputs and results over the 1 MiB message limit', async () => {
    const input = await run('sized', 'input-big', { what: 'input', chars: MAX_PAYLOAD_BYTES });
    expect(input.runtimeStatus).toBe('Failed');
    expect(String(input.output)).toContain("The input of activity 'hello' is");
    const result = await run('sized', 'result-big', { what: 'result', chars: MAX_PAYLOAD_BYTES });
    expect(result.runtimeStatus).toBe('Failed');
    expect(String(result.output)).toContain("The result of activity 'makeText' is");
    const started = await sample.host.engine.startNew('sized', {
      instanceId: 'input-of-orchestration',
      input: JSON.stringify({ what: 'none', chars: 0, padding: 'p'.repeat(MAX_PAYLOAD_BYTES) }),
    });
    expect(started).toMatchObject({ kind: 'invalidInput' });
    expect(JSON.stringify(started)).toContain("The input of orchestration 'sized' is");
    const small = await run('sized', 'result-small', { what: 'result', chars: 1000 });
    expect(small.output).toBe('r'.repeat(1000));
  });

  it('refuses an external event over the 1 MiB message limit at the durable HTTP API', async () => {
    await sample.host.engine.startNew('approval', {
      instanceId: 'big-event',
      input: JSON.stringify({ requestId: 'big-event', reminderHours: 4, maxReminders: 1 }),
    });
    await sample.waitFor('big-event', (r) => r.runtimeStatus === 'Running');
    const path = '/runtime/webhooks/durabletask/instances/big-event/raiseEvent/Approval';
    const big = await sample.call('POST', path, {
      body: { approved: true, by: 'x'.repeat(MAX_PAYLOAD_BYTES) },
    });
    expect(big.status).toBe(400);
    expect(big.text).toContain("The payload of event 'Approval' is");
    const fits = await sample.call('POST', path, { body: { approved: true, by: 'manager' } });
    expect(fits.status).toBe(202);
  });
});
