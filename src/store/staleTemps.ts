/**
 * Temporary files a killed process left in the board's folder: compaction outputs
 * (`factory.db.tmp-<pid>-<hex>`, also for `.bak` and `.journal`) and lock stamps
 * of the fallback lock (`factory.db.lockfile.<hex>`). Removed under the write lock, when their process is gone or they are
 * older than any compaction takes; a live compaction elsewhere that loses its file only fails and
 * is tried again later, losing nothing.
 */
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isAlive } from './processIdentity';

const COMPACTION_TEMP = /^factory\.db(?:\.bak|\.journal)?\.tmp-(\d+)-[0-9a-f]+$/;
const LOCK_STAMP = /^factory\.db\.lockfile(?:\.break)?\.[0-9a-f]{16}$/;
const OLD_MS = 10 * 60_000;
const OLD_STAMP_MS = 60_000;

/** Removes stale temporary files in `dir` except `keep`; resolves with how many it removed. */
export async function removeStaleTemps(dir: string, keep: ReadonlySet<string> = new Set()): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    const path = join(dir, name);
    if (keep.has(path)) continue;
    const temp = COMPACTION_TEMP.exec(name);
    const stamp = temp === null && LOCK_STAMP.test(name);
    if (temp === null && !stamp) continue;
    const st = await stat(path).catch(() => undefined);
    if (st === undefined) continue;
    const age = Date.now() - st.mtimeMs;
    const gone = temp !== null ? Number(temp[1]) !== process.pid && (!isAlive(Number(temp[1])) || age > OLD_MS) : age > OLD_STAMP_MS;
    if (gone) {
      await rm(path, { force: true });
      removed++;
    }
  }
  return removed;
}
