/**
 * Notices when this process stalls: a laptop suspended, a debugger paused, a SIGSTOP, a thread
 * blocked for long. A timer that should fire every two seconds fires late; the gap is the stall.
 * The PM asks when the last stall ended, so silence from other machines that began while this process
 * was frozen is not held against them (they may have been frozen too).
 */
import type { Disposable } from '../domain/event';

export class StallWatch implements Disposable {
  private readonly timer: NodeJS.Timeout;
  private last = Date.now();
  private resumedAt: number | undefined;

  /**
   * A stall longer than `periodMs + thresholdMs` is always noticed: 6 s by default, as with a
   * one-second period, and inside the slack of the shortest heartbeat timeout (10 s, with beats
   * every 3.3 s). Half the wakeups of a one-second period.
   * @param thresholdMs a tick this much later than due counts as a stall
   */
  constructor(
    private readonly periodMs = 2000,
    private readonly thresholdMs = 4000,
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
