/**
 * Work spread over turns of the event loop: a generator that yields between chunks runs in
 * slices of at most `sliceMs` of this thread, with the event loop free between slices (the
 * extension host is one thread shared with every extension). A reader that cannot wait finishes
 * it at once. No `vscode` import.
 */
import { performance } from 'node:perf_hooks';
import { clearImmediate, setImmediate } from 'node:timers';

export class SlicedJob {
  private handle: ReturnType<typeof setImmediate> | undefined;
  private over = false;
  private longestStep = 0;
  private resolveDone: () => void = () => undefined;
  /** Settles when the job ended: finished, failed or cancelled. */
  readonly done: Promise<void> = new Promise((resolve) => (this.resolveDone = resolve));

  constructor(
    private readonly steps: Iterator<unknown, unknown, undefined>,
    private readonly onError: (err: unknown) => void,
    private readonly sliceMs = 4,
  ) {}

  get running(): boolean {
    return !this.over;
  }

  /** Runs the first slice now (a small job ends in it) and the rest on later turns. */
  start(): void {
    this.slice();
  }

  /** Runs every slice on later turns: for work started by an event whose other listeners run now. */
  startLater(): void {
    if (this.over || this.handle !== undefined) return;
    this.handle = setImmediate(() => this.slice());
  }

  /** Runs what is left now, in one go; a failure is thrown to the caller. */
  finishNow(): void {
    this.clear();
    try {
      while (!this.over) if (this.steps.next().done === true) this.end();
    } finally {
      this.end();
    }
  }

  /** Stops without running what is left. */
  cancel(): void {
    this.clear();
    if (this.over) return;
    this.end();
    this.steps.return?.(undefined);
  }

  /** Steps until the next one, as long as the longest so far, would end the slice late (always one step). */
  private slice(): void {
    this.handle = undefined;
    const deadline = performance.now() + this.sliceMs;
    for (;;) {
      const started = performance.now();
      this.step();
      const now = performance.now();
      this.longestStep = Math.max(this.longestStep, now - started);
      if (this.over || now + this.longestStep >= deadline) break;
    }
    if (!this.over) this.handle = setImmediate(() => this.slice());
  }

  /** One step of a slice; a failure goes to `onError`, as there is no caller to throw to. */
  private step(): void {
    try {
      if (this.steps.next().done === true) this.end();
    } catch (err) {
      this.end();
      this.onError(err);
    }
  }

  private end(): void {
    if (this.over) return;
    this.over = true;
    this.resolveDone();
  }

  private clear(): void {
    if (this.handle !== undefined) clearImmediate(this.handle);
    this.handle = undefined;
  }
}
