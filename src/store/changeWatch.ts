/**
 * When to look for what other processes wrote to the board: when the folder's journal changes,
 * as the operating system tells (inotify, FSEvents, ReadDirectoryChangesW), and every few seconds
 * in case a notice never comes (a network file system does not see other machines' writes).
 * Where the folder cannot be watched, it looks every `pollMs`, as the board always did.
 *
 * A quiet board then costs no wakeup a second: the look was a `stat` on the thread pool and a
 * callback on the host's thread, sixty times a minute, for nothing.
 */
import { watch, type FSWatcher } from 'node:fs';
import type { Disposable } from '../domain/event';

/** How often a watched folder is looked at anyway, in ms. */
export const WATCHED_POLL_MS = 5000;
/** One write makes several notices (append, sync, mark): they are looked at together. */
const SETTLE_MS = 15;

export interface ChangeWatchOptions {
  dir: string;
  /** The file in `dir` whose changes count (its name only). */
  file: string;
  /** How often to look when the folder cannot be watched. */
  pollMs: number;
  /** How often to look when it is watched (default WATCHED_POLL_MS, never more often than `pollMs`). */
  watchedPollMs?: number;
  /** The look itself; never run twice at once. */
  look(): Promise<void>;
}

export class ChangeWatch implements Disposable {
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private settle: NodeJS.Timeout | undefined;
  private looking = false;
  private again = false;
  private disposed = false;

  constructor(private readonly opts: ChangeWatchOptions) {
    try {
      this.watcher = watch(opts.dir, { persistent: false }, (_event, name) => {
        // Some platforms do not say which file changed: any notice counts then.
        if (name === null || name === opts.file) this.soon();
      });
      this.watcher.on('error', () => this.unwatched());
    } catch {
      this.watcher = undefined;
    }
    this.every(this.watcher ? Math.max(opts.pollMs, opts.watchedPollMs ?? WATCHED_POLL_MS) : opts.pollMs);
  }

  /** Whether change notices arrive (false: it polls every `pollMs`). */
  get watching(): boolean {
    return this.watcher !== undefined;
  }

  dispose(): void {
    this.disposed = true;
    this.watcher?.close();
    this.watcher = undefined;
    if (this.timer !== undefined) clearInterval(this.timer);
    if (this.settle !== undefined) clearTimeout(this.settle);
    this.timer = this.settle = undefined;
  }

  private every(ms: number): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = setInterval(() => void this.run(), ms);
    this.timer.unref();
  }

  /** The watch broke (the folder was removed, a watch limit): poll as before, at the short period. */
  private unwatched(): void {
    this.watcher?.close();
    this.watcher = undefined;
    if (!this.disposed) this.every(this.opts.pollMs);
  }

  private soon(): void {
    if (this.settle !== undefined || this.disposed) return;
    this.settle = setTimeout(() => {
      this.settle = undefined;
      void this.run();
    }, SETTLE_MS);
    this.settle.unref();
  }

  private async run(): Promise<void> {
    if (this.disposed) return;
    if (this.looking) {
      // A notice during a look may be for a write the look did not see: look once more after it.
      this.again = true;
      return;
    }
    this.looking = true;
    try {
      await this.opts.look();
    } catch {
      // The look reports its own failures; the next notice or period looks again.
    } finally {
      this.looking = false;
      if (this.again) {
        this.again = false;
        this.soon();
      }
    }
  }
}
