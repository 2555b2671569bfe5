import { CronExpressionParser } from 'cron-parser';
import { LocalHostError } from '../local-host-error.ts';

/** When a timer trigger fires next: an NCRONTAB expression or a fixed interval. */
export interface TimerSchedule {
  /** The first firing strictly after `after` (ms since the epoch). */
  next(after: number): number;
  readonly text: string;
}

const TIME_SPAN = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})$/;

/**
 * Reads a timer trigger's schedule the way the Functions host does: NCRONTAB with six fields
 * (seconds first) in UTC, or a TimeSpan "hh:mm:ss" meaning "every so often".
 */
export function parseTimerSchedule(text: string): TimerSchedule {
  const span = TIME_SPAN.exec(text.trim());
  if (span) {
    const [, days, hours, minutes, seconds] = span;
    const every =
      ((Number(days ?? 0) * 24 + Number(hours)) * 60 + Number(minutes)) * 60_000 +
      Number(seconds) * 1000;
    if (every <= 0) {
      throw new LocalHostError('APP_CONFIG_INVALID', `The timer schedule "${text}" is zero.`);
    }
    return { text, next: (after) => after + every };
  }
  const fields = text.trim().split(/\s+/);
  if (fields.length !== 6) {
    throw new LocalHostError(
      'APP_CONFIG_INVALID',
      `The timer schedule "${text}" is not NCRONTAB ({second} {minute} {hour} {day} {month} {day-of-week}) or hh:mm:ss.`,
    );
  }
  try {
    CronExpressionParser.parse(text, { tz: 'UTC' });
  } catch (cause) {
    throw new LocalHostError('APP_CONFIG_INVALID', `The timer schedule "${text}" is not valid.`, {
      cause,
    });
  }
  return {
    text,
    next: (after) =>
      CronExpressionParser.parse(text, { currentDate: new Date(after), tz: 'UTC' })
        .next()
        .toDate()
        .getTime(),
  };
}
