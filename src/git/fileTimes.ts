/** When a worktree's uncommitted files last changed: the newest mtime among them. */
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';

/** Files beyond this many are not looked at: a stall check needs a recent change, not all of them. */
const MAX_FILES = 2000;
const PARALLEL = 32;

export async function newestChangeTime(root: string, relPaths: readonly string[], signal?: AbortSignal): Promise<number | undefined> {
  let newest: number | undefined;
  const files = relPaths.slice(0, MAX_FILES);
  for (let i = 0; i < files.length; i += PARALLEL) {
    if (signal?.aborted) break;
    const times = await Promise.all(
      files.slice(i, i + PARALLEL).map(async (rel) => {
        try {
          return (await lstat(join(root, rel))).mtimeMs;
        } catch {
          // A deleted file has no time; its deletion shows in git, not here.
          return undefined;
        }
      }),
    );
    for (const t of times) if (t !== undefined && (newest === undefined || t > newest)) newest = Math.floor(t);
  }
  return newest;
}
