/**
 * Notices when a running agent's worktree folder disappears (deleted, or replaced by a new folder
 * of the same name): the agent's working directory is gone, and it must not go on elsewhere.
 * `fs.watch` answers within moments: on the folder (what happens inside it) and on its parent (the
 * folder itself going away; a folder that is some process's working directory reports nothing of
 * its own removal). A look on every heartbeat covers file systems where watching is not possible.
 */
import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Disposable } from '../domain/event';

export class WorktreeWatch implements Disposable {
  private readonly watchers: FSWatcher[] = [];
  private identity: string | undefined;
  private checking = false;
  private again = false;
  private fired = false;
  private disposed = false;

  private constructor(
    readonly path: string,
    private readonly onGone: () => void,
  ) {}

  /** Starts watching `path`, which exists now; undefined when it is already gone. */
  static async start(path: string, onGone: () => void): Promise<WorktreeWatch | undefined> {
    const w = new WorktreeWatch(path, onGone);
    w.identity = await folderIdentity(path);
    if (w.identity === undefined) return undefined;
    for (const folder of [path, dirname(path)]) {
      try {
        const watcher = watch(folder, { persistent: false }, () => w.check());
        watcher.on('error', () => watcher.close());
        w.watchers.push(watcher);
      } catch {
        // No watching here (too many watches, an unusual file system): the heartbeat's look remains.
      }
    }
    return w;
  }

  /** Looks now (coalesced): calls `onGone` once when the folder is missing or was replaced. */
  check(): void {
    if (this.disposed || this.fired) return;
    if (this.checking) {
      this.again = true;
      return;
    }
    this.checking = true;
    void folderIdentity(this.path)
      .then((now) => {
        if (now !== this.identity && !this.disposed && !this.fired) {
          this.fired = true;
          this.closeWatcher();
          this.onGone();
        }
      })
      .finally(() => {
        this.checking = false;
        if (this.again) {
          this.again = false;
          this.check();
        }
      });
  }

  dispose(): void {
    this.disposed = true;
    this.closeWatcher();
  }

  private closeWatcher(): void {
    for (const watcher of this.watchers.splice(0)) watcher.close();
  }
}

/** Device and inode of a folder, or undefined when there is no folder at `path`. */
async function folderIdentity(path: string): Promise<string | undefined> {
  try {
    const s = await stat(path);
    return s.isDirectory() ? `${s.dev}:${s.ino}` : undefined;
  } catch {
    return undefined;
  }
}
