/**
 * Saving a worktree's uncommitted work before it is removed. The patch is written, flushed to
 * disk, read back and checked against the working tree; only a verified backup lets a removal
 * go ahead.
 */
import { mkdir, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FactoryError } from '../domain/errors';
import type { GitPort } from './port';

export interface PatchBackup {
  file: string;
  bytes: number;
}

/** `<dir>/<name>-<timestamp>.patch`; the name is reduced to characters every file system accepts. */
export function backupFileName(name: string, at: number): string {
  const safe = name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|-+$/g, '').slice(0, 60) || 'worktree';
  const stamp = new Date(at).toISOString().replace(/[:.]/g, '-');
  return `${safe}-${stamp}.patch`;
}

/**
 * Writes the uncommitted changes of `worktreePath` (staged, modified, untracked-not-ignored) to
 * `backupsDir` and proves the file is complete. Throws, without writing anything partial in its
 * place, when there is nothing to save or the check fails.
 */
export async function savePatchBackup(
  git: GitPort,
  worktreePath: string,
  backupsDir: string,
  name: string,
  at: number,
  signal?: AbortSignal,
): Promise<PatchBackup> {
  const patch = await git.diffPatch(worktreePath, { signal });
  if (patch.length === 0) {
    throw new FactoryError('git', `${worktreePath} has changes git cannot express as a patch (a submodule or a mode change?); it was not removed`);
  }
  await mkdir(backupsDir, { recursive: true });
  const file = join(backupsDir, backupFileName(name, at));
  const handle = await open(file, 'wx');
  try {
    await handle.writeFile(patch);
    await handle.sync();
  } finally {
    await handle.close();
  }
  const written = await readFile(file);
  if (!written.equals(patch)) throw new FactoryError('git', `the backup ${file} does not read back as written; ${worktreePath} was not removed`);
  if (!(await git.patchMatchesWorkingTree(worktreePath, file, { signal }))) {
    throw new FactoryError('git', `the backup ${file} does not match the changes in ${worktreePath}; it was not removed`);
  }
  return { file, bytes: patch.length };
}
