/**
 * Removing a worktree folder all or nothing. The folder is first renamed aside within its own
 * parent (same file system, one atomic step), checked there once more (no process inside, the
 * salvage still equal to every file), the salvage recorded, and only then deleted. When anything
 * fails before the deletion, the folder is renamed back untouched; when the deletion itself fails
 * half way, the folder is renamed back and what was already deleted is written again from the
 * verified salvage. The registration is dropped last, so it never outlives or predeceases its
 * folder. A half-deleted folder without its registration cannot happen.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { FactoryError, errorMessage } from '../../domain/errors';
import { describeUsers, folderInUse } from '../folderInUse';
import { runGit } from '../runGit';

export interface RemovalSteps {
  /** Differences between the folder (moved aside) and its salvage; none lets the removal go on. */
  verify(folder: string): Promise<string[]>;
  /** Records the salvage durably. From here on an interrupted removal is finished, not undone. */
  commit(): Promise<void>;
  /** Writes the salvage's files back into `folder`, leaving files that exist alone. */
  fillIn(folder: string): Promise<void>;
}

const ASIDE = /^\.(.+)\.removing-(sv-[0-9a-z]+)$/;

export function asidePath(path: string, salvageId: string): string {
  return join(dirname(path), `.${basename(path)}.removing-${salvageId}`);
}

/** Removes the worktree at `path` (registered in `repo`) as described above. Throws with the reason when it did not. */
export async function removeAllOrNothing(repo: string, path: string, salvageId: string, steps: RemovalSteps, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) throw new FactoryError('cancelled', `removing ${path} was cancelled before it started`);
  const gitFile = await readFile(join(path, '.git'));
  const aside = asidePath(path, salvageId);
  try {
    await rename(path, aside);
  } catch (err) {
    throw new FactoryError('git', `could not move ${path} aside (${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}); something holds it open. Nothing was removed`, { cause: err });
  }

  try {
    // A process that entered between the first check and the move is now inside the moved folder.
    const use = await folderInUse(aside);
    if (use.state === 'busy') throw new FactoryError('git', `in use by ${describeUsers(use.users)}`);
    if (use.state === 'unknown') throw new FactoryError('git', `cannot tell whether a process uses it (${use.why})`);
    const differences = await verify(steps, aside);
    if (differences.length > 0) throw new FactoryError('git', `it changed while it was being saved (${differences.slice(0, 3).join('; ')})`);
    await steps.commit();
  } catch (err) {
    await rename(aside, path).catch((backErr: unknown) => {
      throw new FactoryError('git', `${errorMessage(err)}; and moving it back failed (${errorMessage(backErr)}): the folder is at ${aside}`);
    });
    throw err;
  }

  try {
    await rm(aside, { recursive: true });
  } catch (err) {
    const where = await putBack(aside, path, gitFile, steps);
    throw new FactoryError('git', `deleting it failed (${errorMessage(err)}); it was put back at ${where} from its salvage and is still registered`, { cause: err });
  }
  // The folder is gone and saved: drop its registration (and admin folder, archived in the salvage).
  await runGit(repo, ['worktree', 'remove', '--force', '--', path]);
}

async function verify(steps: RemovalSteps, folder: string): Promise<string[]> {
  try {
    return await steps.verify(folder);
  } catch (err) {
    return [`the check failed: ${errorMessage(err)}`];
  }
}

/** After a deletion stopped half way: the folder back in its place, complete again. */
async function putBack(aside: string, path: string, gitFile: Buffer, steps: RemovalSteps): Promise<string> {
  let where = path;
  if (existsSync(path)) {
    where = aside;
  } else if (existsSync(aside)) {
    await rename(aside, path);
  } else {
    await mkdir(path, { recursive: true });
  }
  if (!existsSync(join(where, '.git'))) await writeFile(join(where, '.git'), gitFile);
  await steps.fillIn(where);
  return where;
}

export interface InterruptedRemoval {
  aside: string;
  path: string;
  salvageId: string;
  /** `finished`: it had been saved and recorded, so its deletion was completed; `restored`: moved back. */
  outcome: 'finished' | 'restored' | 'left';
  note?: string | undefined;
}

/**
 * Deals with removals a crash interrupted: folders still aside in `parents`. One whose salvage was
 * recorded is deleted and unregistered as planned; any other is moved back where it was.
 */
export async function recoverInterruptedRemovals(repo: string, parents: readonly string[], recorded: (salvageId: string) => boolean): Promise<InterruptedRemoval[]> {
  const out: InterruptedRemoval[] = [];
  for (const parent of new Set(parents)) {
    const names = await readdir(parent).catch(() => [] as string[]);
    for (const name of names) {
      const m = ASIDE.exec(name);
      if (!m) continue;
      const aside = join(parent, name);
      const path = join(parent, m[1]);
      const salvageId = m[2];
      try {
        if (recorded(salvageId)) {
          await rm(aside, { recursive: true, force: true });
          if (!existsSync(path)) await runGit(repo, ['worktree', 'remove', '--force', '--', path]).catch(() => undefined);
          out.push({ aside, path, salvageId, outcome: 'finished' });
        } else if (!existsSync(path)) {
          await rename(aside, path);
          out.push({ aside, path, salvageId, outcome: 'restored' });
        } else {
          out.push({ aside, path, salvageId, outcome: 'left', note: `${path} exists again, so ${aside} was left where it is` });
        }
      } catch (err) {
        out.push({ aside, path, salvageId, outcome: 'left', note: errorMessage(err) });
      }
    }
  }
  return out;
}
