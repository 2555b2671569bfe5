import { afterAll, describe, expect, it } from 'vitest';
import { manualDurableClock, scaledClock } from '../../../local/host/durable/durable-clock.ts';
import { HistoryEventType } from '../../../local/host/durable/history-event.ts';
import { isTerminal, removeTemporaryFolders, startSampleHost } from './support/sample-host.ts';

const DAY = 86_400_000;

afterAll(() => removeTemporaryFolders());

describe('durable time', () => {
  it('runs a seven-day durable timer on a scaled clock, in durable time', async () => {
    const sample = await startSampleHost({ timeScale: 7 * 24 * 3600 });
    try {
      await sample.host.engine.startNew('longWait', { instanceId: 'a-week', input: '7' });
      const done = await sample.waitFor('a-week', isTerminal, 30_000);

      const { started, woke } = done.output as { started: string; woke: string };
      const slept = Date.parse(woke) - Date.parse(started);
      expect(slept).toBeGreaterThanOrEqual(7 * DAY);
      expect(slept).toBeLessThan(7 * DAY + DAY / 4);
      // Each leg fired at (or after) its own durable fire time, never before it.
      const fired = done.history.filter((e) => e.EventType === HistoryEventType.TimerFired);
      expect(fired.length).toBeGreaterThanOrEqual(2);
      for (const event of fired) {
        expect(Date.parse(event.Timestamp)).toBeGreaterThanOrEqual(
          Date.parse(String(event.FireAt)),
        );
      }
      // What the orchestrator saw is what the history records, and both are durable time.
      const starts = done.history.filter(
        (e) => e.EventType === HistoryEventType.OrchestratorStarted,
      );
      expect(starts[0]!.Timestamp).toBe(started);
      expect(starts.at(-1)!.Timestamp).toBe(woke);
      // Created a few real milliseconds (minutes of durable time) before its first episode.
      expect(Date.parse(done.createdTime)).toBeLessThanOrEqual(Date.parse(started));
      expect(Date.parse(started) - Date.parse(done.createdTime)).toBeLessThan(DAY);
    } finally {
      await sample.close();
    }
  });

  it('never wakes a timer before its durable time, and resumes from a later time after restart', async () => {
    const later = Date.now() + 30 * DAY;
    const clock = scaledClock(1000, later);
    expect(clock.now()).toBeGreaterThanOrEqual(later);
    const target = clock.now() + 50_000;
    const woke = await new Promise<number>((resolve) =>
      clock.wakeAt(target, () => resolve(clock.now())),
    );
    expect(woke).toBeGreaterThanOrEqual(target);
    expect(() => scaledClock(0)).toThrow(RangeError);
  });

  it('lets tests move a manual clock and fires wake-ups in time order', () => {
    const clock = manualDurableClock(0);
    const fired: number[] = [];
    clock.wakeAt(30, () => fired.push(30));
    clock.wakeAt(10, () => fired.push(10));
    const cancel = clock.wakeAt(20, () => fired.push(20));
    cancel();
    clock.advance(25);
    expect(fired).toEqual([10]);
    clock.set(100);
    expect(fired).toEqual([10, 30]);
  });
});
