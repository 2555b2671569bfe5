import type { HostLog } from '../host-log.ts';
import { invokeTrigger } from '../invoke-trigger.ts';
import type { FunctionApp } from '../load-function-app.ts';
import type { RegisteredFunction } from '../registered-function.ts';
import { parseTimerSchedule, type TimerSchedule } from './timer-schedule.ts';

export interface TimerTriggers {
  /** Each timer function with its schedule, for the start-up listing. */
  readonly schedules: { functionName: string; schedule: string }[];
  stop(): void;
}

/** setTimeout's ceiling; longer waits are taken in steps. */
const MAX_DELAY_MS = 2 ** 31 - 1;

/**
 * Runs the app's timer triggers on their schedules, in real (wall-clock) time like the Functions
 * host, whatever the durable time scale. A run that is still going when the next is due is
 * skipped, never overlapped, as the host's singleton lock does. `%SETTING%` in a schedule is read
 * from the app settings. `runOnStartup` runs one at once.
 */
export function runTimerTriggers(host: {
  app: FunctionApp;
  durableClientInput: string;
  settings: (name: string) => string | undefined;
  log: HostLog;
}): TimerTriggers {
  const timers = host.app.functions.filter((fn) => fn.triggerType.toLowerCase() === 'timertrigger');
  const handles = new Set<NodeJS.Timeout>();
  let stopped = false;
  const schedules: TimerTriggers['schedules'] = [];

  for (const fn of timers) {
    const binding = fn.metadata.bindings[fn.triggerBindingName] ?? {};
    const raw = typeof binding.schedule === 'string' ? binding.schedule : '';
    const text = raw.replace(/%([^%]+)%/g, (whole, name: string) => host.settings(name) ?? whole);
    const schedule = parseTimerSchedule(text);
    schedules.push({ functionName: fn.name, schedule: schedule.text });
    let running = false;
    let last: number | undefined;
    const fire = async (due: number) => {
      if (running) {
        host.log({
          level: 'warn',
          category: 'host',
          message: `${fn.name}: the run due at ${new Date(due).toISOString()} was skipped; the previous one is still going.`,
          functionName: fn.name,
        });
        return;
      }
      running = true;
      try {
        await invoke(host, fn, schedule, due, last);
      } finally {
        running = false;
        last = due;
      }
    };
    const arm = (after: number) => {
      if (stopped) return;
      const due = schedule.next(after);
      const wait = () => {
        const delay = Math.min(due - Date.now(), MAX_DELAY_MS);
        const handle = setTimeout(
          () => {
            handles.delete(handle);
            if (stopped) return;
            if (Date.now() < due) return wait();
            void fire(due);
            arm(due);
          },
          Math.max(0, delay),
        );
        handle.unref();
        handles.add(handle);
      };
      wait();
    };
    if (binding.runOnStartup === true) void fire(Date.now());
    arm(Date.now());
  }

  return {
    schedules,
    stop() {
      stopped = true;
      for (const handle of handles) clearTimeout(handle);
      handles.clear();
    },
  };
}

async function invoke(
  host: { app: FunctionApp; durableClientInput: string; log: HostLog },
  fn: RegisteredFunction,
  schedule: TimerSchedule,
  due: number,
  last: number | undefined,
): Promise<void> {
  // The timer info as the Functions host sends it (PascalCase; the library camel-cases it).
  const info = {
    Schedule: { AdjustForDST: true },
    ScheduleStatus: {
      Last: new Date(last ?? due).toISOString(),
      Next: new Date(schedule.next(due)).toISOString(),
      LastUpdated: new Date(due).toISOString(),
    },
    // Late by more than a second counts as past due, as when a host resumes after downtime.
    IsPastDue: Date.now() - due > 1000,
  };
  await invokeTrigger(host, fn, { json: JSON.stringify(info) });
}
