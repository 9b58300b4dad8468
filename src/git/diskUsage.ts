/**
 * Size of a folder on disk, like `du -s`, computed with fs.promises so the extension host never
 * blocks. A walk can be advanced in slices against a deadline and resumed later, so a worktree
 * with a huge node_modules is measured over several agent cycles instead of overrunning one.
 */
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { FactoryError } from '../domain/errors';

const BATCH = 32;
const YIELD_EVERY = 256;

export class DiskUsageWalk {
  /** Paths still to measure; a batch is always finished, so the state is whole between batches. */
  private readonly pending: string[];
  private readonly seenInodes = new Set<string>();
  private total = 0;
  private finished = false;

  constructor(readonly root: string) {
    this.pending = [root];
  }

  /** Bytes counted so far; the folder's size once `done`. */
  get bytes(): number {
    return this.total;
  }

  get done(): boolean {
    return this.finished;
  }

  /**
   * Walks until finished or `deadline` (ms since the epoch) passes, one batch at least, so
   * repeated calls always progress; resolves with `done`.
   */
  async advance(deadline = Number.POSITIVE_INFINITY, signal?: AbortSignal): Promise<boolean> {
    let sinceYield = 0;
    let first = true;
    while (this.pending.length > 0) {
      if (signal?.aborted) throw new FactoryError('cancelled', `measuring ${this.root} was cancelled`);
      if (!first && Date.now() >= deadline) return false;
      first = false;
      const batch = this.pending.splice(this.pending.length - Math.min(BATCH, this.pending.length));
      const children = await Promise.all(batch.map((path) => this.measure(path)));
      for (const list of children) if (list) this.pending.push(...list);
      sinceYield += batch.length;
      if (sinceYield >= YIELD_EVERY) {
        sinceYield = 0;
        await yieldToEventLoop();
      }
    }
    this.finished = true;
    return true;
  }

  /** Adds one entry's size; for a folder, returns its children to measure. */
  private async measure(path: string): Promise<string[] | undefined> {
    let st;
    try {
      st = await lstat(path);
    } catch {
      // Deleted while we walked: it takes no space any more.
      return undefined;
    }
    if (st.nlink > 1 && !st.isDirectory()) {
      const key = `${st.dev}:${st.ino}`;
      if (this.seenInodes.has(key)) return undefined;
      this.seenInodes.add(key);
    }
    // `blocks` is what the file really occupies (sparse files, filesystem blocks); Windows has none.
    this.total += typeof st.blocks === 'number' && st.blocks > 0 ? st.blocks * 512 : st.size;
    if (!st.isDirectory()) return undefined;
    try {
      return (await readdir(path)).map((name) => join(path, name));
    } catch {
      return undefined;
    }
  }
}

export async function sizeOnDisk(root: string, signal?: AbortSignal): Promise<number> {
  const walk = new DiskUsageWalk(root);
  await walk.advance(Number.POSITIVE_INFINITY, signal);
  return walk.bytes;
}
