/**
 * Notices when this process stalls: a laptop suspended, a debugger paused, a SIGSTOP, a thread
 * blocked for long. A timer that should fire every second fires late; the gap is the stall. The
 * PM asks when the last stall ended, so silence from other machines that began while this process
 * was frozen is not held against them (they may have been frozen too).
 */
import type { Disposable } from '../domain/event';

export class StallWatch implements Disposable {
  private readonly timer: NodeJS.Timeout;
  private last = Date.now();
  private resumedAt: number | undefined;

  /** @param thresholdMs a tick this much later than due counts as a stall */
  constructor(
    private readonly periodMs = 1000,
    private readonly thresholdMs = 5000,
  ) {
    this.timer = setInterval(() => this.tick(), periodMs);
    this.timer.unref();
  }

  /** When this process last came back from a stall (wall-clock ms), if it ever stalled. */
  get lastResumedAt(): number | undefined {
    return this.resumedAt;
  }

  private tick(): void {
    const now = Date.now();
    if (now - this.last > this.periodMs + this.thresholdMs) this.resumedAt = now;
    this.last = now;
  }

  dispose(): void {
    clearInterval(this.timer);
  }
}
