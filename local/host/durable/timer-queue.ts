import type { DurableClock } from './durable-clock.ts';

interface Entry {
  at: number;
  key: string;
}

/**
 * Durable timers of every instance behind one clock wake-up: a binary min-heap by fire time, with
 * removal by key (lazy: a removed or re-added key's stale heap entry is skipped when it surfaces).
 * Thousands of waiting approvals cost one pending setTimeout, not thousands.
 */
export class TimerQueue {
  readonly #clock: DurableClock;
  readonly #onDue: (key: string) => void;
  readonly #heap: Entry[] = [];
  readonly #live = new Map<string, Entry>();
  #cancelWake: (() => void) | undefined;
  #wakeAt = Infinity;
  #closed = false;

  constructor(clock: DurableClock, onDue: (key: string) => void) {
    this.#clock = clock;
    this.#onDue = onDue;
  }

  get size(): number {
    return this.#live.size;
  }

  add(key: string, at: number): void {
    if (this.#closed) return;
    const entry = { at, key };
    this.#live.set(key, entry);
    this.#push(entry);
    if (at < this.#wakeAt) this.#arm();
  }

  remove(key: string): void {
    this.#live.delete(key);
  }

  close(): void {
    this.#closed = true;
    this.#cancelWake?.();
    this.#live.clear();
    this.#heap.length = 0;
  }

  #arm(): void {
    this.#cancelWake?.();
    this.#cancelWake = undefined;
    this.#wakeAt = Infinity;
    const next = this.#peekLive();
    if (!next) return;
    this.#wakeAt = next.at;
    this.#cancelWake = this.#clock.wakeAt(next.at, () => this.#fire());
  }

  #fire(): void {
    this.#cancelWake = undefined;
    this.#wakeAt = Infinity;
    const now = this.#clock.now();
    const due: string[] = [];
    for (let next = this.#peekLive(); next && next.at <= now; next = this.#peekLive()) {
      this.#pop();
      this.#live.delete(next.key);
      due.push(next.key);
    }
    this.#arm();
    for (const key of due) this.#onDue(key);
  }

  #peekLive(): Entry | undefined {
    while (this.#heap.length) {
      const top = this.#heap[0]!;
      if (this.#live.get(top.key) === top) return top;
      this.#pop();
    }
    return undefined;
  }

  #push(entry: Entry): void {
    const heap = this.#heap;
    heap.push(entry);
    let index = heap.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (heap[parent]!.at <= entry.at) break;
      heap[index] = heap[parent]!;
      index = parent;
    }
    heap[index] = entry;
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop()!;
    if (!heap.length) return;
    let index = 0;
    for (;;) {
      const left = index * 2 + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && heap[right]!.at < heap[left]!.at ? right : left;
      if (heap[child]!.at >= last.at) break;
      heap[index] = heap[child]!;
      index = child;
    }
    heap[index] = last;
  }
}
