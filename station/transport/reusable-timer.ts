/**
 * One timer, re-armed with refresh() rather than replaced: a new setTimeout per report (or per
 * command) was a measurable share of CTAPHID latency on both sides of the link. While stopped it
 * does not keep the process alive.
 */
export class ReusableTimer {
  private timer: NodeJS.Timeout | undefined;
  private durationMs = -1;
  private armed = false;
  private readonly onFire: () => void;

  constructor(onFire: () => void) {
    this.onFire = onFire;
  }

  start(ms: number): void {
    this.armed = true;
    if (this.timer && this.durationMs === ms) {
      this.timer.refresh();
      this.timer.ref();
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.durationMs = ms;
    this.timer = setTimeout(() => {
      if (!this.armed) return;
      this.armed = false;
      this.timer?.unref();
      this.onFire();
    }, ms);
  }

  stop(): void {
    this.armed = false;
    this.timer?.unref();
  }

  dispose(): void {
    this.armed = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
