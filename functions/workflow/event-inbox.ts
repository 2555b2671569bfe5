import type { OrchestrationContext, Task } from 'durable-functions';
import type { RequestEvent } from './request-events.ts';

/** An external event taken from its inbox: which one, and its (not yet validated) payload. */
export interface Arrival {
  event: RequestEvent;
  payload: unknown;
}

/**
 * The external events of one name that reached the orchestration, read in arrival order.
 *
 * durable-functions hands an event to the most recently *yielded* waiter of that name that has
 * not had one, and lists a waiter once per Task.any it was yielded in. A waiter kept across
 * rounds is therefore listed several times: once it has been read, a later event can land in it
 * again — while the orchestration is busy in an activity and its next waiter is not yielded yet —
 * and be lost. So each race yields a fresh waiter per name (listed once, filled at most once),
 * and every waiter yielded so far is kept here: an event that lands in an older one is found
 * by the next race instead of being lost.
 */
export class EventInbox {
  readonly event: RequestEvent;
  private readonly context: OrchestrationContext;
  /** Yielded waiters not read yet, oldest first. */
  private waiters: Task[] = [];

  constructor(context: OrchestrationContext, event: RequestEvent) {
    this.context = context;
    this.event = event;
  }

  /** A new waiter to yield in the next Task.any (and never in another). */
  fresh(): Task {
    const waiter = this.context.df.waitForExternalEvent(this.event);
    this.waiters.push(waiter);
    return waiter;
  }

  /**
   * The earliest event that arrived and was not read yet. Events reach waiters newest-first
   * (the SDK pops them from a stack), so among filled ones the newest holds the earliest event.
   */
  takeWaiting(): Arrival | undefined {
    for (let index = this.waiters.length - 1; index >= 0; index--) {
      const waiter = this.waiters[index]!;
      if (waiter.isCompleted) return this.take(waiter);
    }
    return undefined;
  }

  /** Reads a filled waiter; a waiter is filled at most once, so it is dropped here. */
  take(waiter: Task): Arrival {
    this.waiters = this.waiters.filter((w) => w !== waiter);
    return { event: this.event, payload: waiter.result };
  }

  owns(waiter: Task): boolean {
    return this.waiters.includes(waiter);
  }
}

/** The first event already waiting in `inboxes`, in their order of priority. */
export function takeWaiting(inboxes: EventInbox[]): Arrival | undefined {
  for (const inbox of inboxes) {
    const arrival = inbox.takeWaiting();
    if (arrival) return arrival;
  }
  return undefined;
}

/** The arrival held by the waiter that won a Task.any. */
export function arrivalOf(inboxes: EventInbox[], winner: Task): Arrival {
  const inbox = inboxes.find((i) => i.owns(winner));
  if (!inbox) throw new Error('Task.any answered with a task that none of the inboxes yielded.');
  return inbox.take(winner);
}
