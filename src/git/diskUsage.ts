/**
 * Size of a folder on disk, like `du -s`, computed with fs.promises so the extension host never
 * blocks: the walk yields to the event loop every few hundred entries and stops on abort.
 */
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { FactoryError } from '../domain/errors';

const YIELD_EVERY = 256;
const PARALLEL_STATS = 16;

export async function sizeOnDisk(root: string, signal?: AbortSignal): Promise<number> {
  const seenInodes = new Set<string>();
  let total = 0;
  let sinceYield = 0;
  const pending: string[] = [root];

  const measure = async (path: string): Promise<string | undefined> => {
    let st;
    try {
      st = await lstat(path);
    } catch {
      // Deleted while we walked: it takes no space any more.
      return undefined;
    }
    if (st.nlink > 1 && !st.isDirectory()) {
      const key = `${st.dev}:${st.ino}`;
      if (seenInodes.has(key)) return undefined;
      seenInodes.add(key);
    }
    // `blocks` is what the file really occupies (sparse files, filesystem blocks); Windows has none.
    total += typeof st.blocks === 'number' && st.blocks > 0 ? st.blocks * 512 : st.size;
    return st.isDirectory() ? path : undefined;
  };

  if ((await measure(root)) === undefined) return total;
  while (pending.length > 0) {
    if (signal?.aborted) throw new FactoryError('cancelled', `measuring ${root} was cancelled`);
    const dir = pending.pop() as string;
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      continue;
    }
    for (let i = 0; i < names.length; i += PARALLEL_STATS) {
      const batch = names.slice(i, i + PARALLEL_STATS).map((name) => measure(join(dir, name)));
      for (const sub of await Promise.all(batch)) if (sub !== undefined) pending.push(sub);
      sinceYield += batch.length;
      if (sinceYield >= YIELD_EVERY) {
        sinceYield = 0;
        await yieldToEventLoop();
        if (signal?.aborted) throw new FactoryError('cancelled', `measuring ${root} was cancelled`);
      }
    }
  }
  return total;
}
