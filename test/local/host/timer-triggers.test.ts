import { afterAll, describe, expect, it } from 'vitest';
import { parseTimerSchedule } from '../../../local/host/timer/timer-schedule.ts';
import { journal } from './fixtures/sample-app/journal.ts';
import { removeTemporaryFolders, startSampleHost } from './support/sample-host.ts';

afterAll(() => removeTemporaryFolders());

describe('timer schedules', () => {
  const at = (iso: string) => Date.parse(iso);

  it('reads NCRONTAB with seconds first, in UTC', () => {
    const everyMinute = parseTimerSchedule('0 */1 * * * *');
    expect(new Date(everyMinute.next(at('2026-11-28T10:00:30Z'))).toISOString()).toBe(
      '2026-11-28T10:01:00.000Z',
    );
    const weekdaysAtNine = parseTimerSchedule('0 0 9 * * 1-5');
    // 2026-11-28 is a Saturday: the next run is Monday.
    expect(new Date(weekdaysAtNine.next(at('2026-11-28T10:00:00Z'))).toISOString()).toBe(
      '2026-11-30T09:00:00.000Z',
    );
  });

  it('reads a TimeSpan as a fixed interval', () => {
    expect(parseTimerSchedule('00:05:00').next(0)).toBe(300_000);
    expect(parseTimerSchedule('1.00:00:00').next(0)).toBe(86_400_000);
  });

  it.each(['*/5 * * * *', 'every minute', '00:00:00', '0 61 * * * *'])(
    'refuses %j, quoting it',
    (text) => {
      expect(() => parseTimerSchedule(text)).toThrow(
        expect.objectContaining({
          code: 'APP_CONFIG_INVALID',
          message: expect.stringContaining(text),
        }),
      );
    },
  );
});

describe('timer triggers in the local host', () => {
  it('runs a timer function on its schedule from an app setting, and stops with the host', async () => {
    const sample = await startSampleHost({ env: { SAMPLE_TICK_SCHEDULE: '*/1 * * * * *' } });
    try {
      expect(sample.host.functions).toContainEqual({
        name: 'tick',
        kind: 'timer',
        trigger: 'timerTrigger',
      });
      const ticks = () => journal().filter((entry) => entry.activity === 'tick');
      const before = ticks().length;
      const deadline = Date.now() + 10_000;
      while (ticks().length < before + 2 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const seen = ticks().slice(before);
      expect(seen.length).toBeGreaterThanOrEqual(2);
      expect(seen[0]!.input).toMatchObject({ isPastDue: false, by: 'tick' });
      expect(
        sample.logs.filter((log) => log.message.includes('does not run that trigger')),
      ).toEqual([]);
    } finally {
      await sample.close();
    }
    const after = journal().filter((entry) => entry.activity === 'tick').length;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(journal().filter((entry) => entry.activity === 'tick').length).toBe(after);
  }, 20_000);
});
