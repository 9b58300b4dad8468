/**
 * A worktree folder moved by hand (with `mv`, not `git worktree move`) still points at its admin
 * folder through its `.git` file, while the registration points at the old place. Before anything
 * recreates a worktree there, the likely places are searched for such a copy; a copy found gets
 * its link repaired (`git worktree repair`) and the work follows it.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { samePath } from '../paths';
import { runGit } from '../runGit';
import { adminDirOfFolder, registrationOf } from './adminFolder';

/** A folder directly inside one of `parents` whose `.git` file points at `adminDir`. */
export async function findMovedCopy(adminDir: string, parents: readonly string[]): Promise<string | undefined> {
  for (const parent of new Set(parents)) {
    const entries = await readdir(parent, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (!entry.isDirectory()) continue;
      const folder = join(parent, entry.name);
      const admin = await adminDirOfFolder(folder);
      if (admin && samePath(admin, adminDir)) return folder;
    }
  }
  return undefined;
}

/**
 * For a registration whose folder is gone: the moved copy, found in `parents` and linked to the
 * registration again (`git worktree repair`), or undefined when there is none to be found.
 */
export async function followMovedCopy(repo: string, missingPath: string, parents: readonly string[], signal?: AbortSignal): Promise<string | undefined> {
  const reg = await registrationOf(repo, missingPath, signal);
  if (!reg) return undefined;
  const copy = await findMovedCopy(reg.adminDir, parents);
  if (copy) await runGit(repo, ['worktree', 'repair', '--', copy], { signal });
  return copy;
}
