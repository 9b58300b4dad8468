/**
 * Where a folder's board lives: `.factory/` in the main checkout of the folder's repository. A
 * window opened on a linked worktree finds the same board through git's common dir.
 */
import { execFile } from 'node:child_process';
import { access, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { boardTrace } from './boardTrace';

const run = promisify(execFile);

export const BOARD_DIR_NAME = '.factory';
export const BOARD_DB_NAME = 'factory.db';

export interface BoardLocation {
  /** The main checkout (not a linked worktree). */
  repoRoot: string;
  /** `<repoRoot>/.factory` */
  dir: string;
  /** `<repoRoot>/.factory/factory.db` */
  dbPath: string;
  /** Whether anything of a board is there already (its database, last good copy or journal). */
  exists: boolean;
}

/**
 * Resolves the board of the repository `folder` belongs to; undefined when `folder` is not inside
 * a git work tree (or git is missing). Never creates anything.
 */
export async function resolveBoardLocation(folder: string): Promise<BoardLocation | undefined> {
  let commonDir: string;
  try {
    const { stdout } = await run('git', ['rev-parse', '--path-format=absolute', '--git-common-dir'], {
      cwd: folder,
      encoding: 'utf8',
      windowsHide: true,
    });
    commonDir = stdout.trim();
  } catch {
    return undefined;
  }
  if (commonDir === '') return undefined;
  if (!isAbsolute(commonDir)) commonDir = resolve(folder, commonDir);
  const repoRoot = await mainCheckoutOf(commonDir, folder);
  if (repoRoot === undefined) return undefined;
  return locationAt(repoRoot);
}

/**
 * The same answer as resolveBoardLocation for the usual layouts, read from the files git keeps
 * (`.git` folder, or a `.git` file naming the git dir, whose `commondir` names the main one)
 * without running git: for untrusted workspaces, where no git command may run.
 */
export async function resolveBoardLocationWithoutGit(folder: string): Promise<BoardLocation | undefined> {
  let dir = resolve(folder);
  for (;;) {
    const dotGit = join(dir, '.git');
    const info = await stat(dotGit).catch(() => undefined);
    if (info?.isDirectory()) return locationAt(dir);
    if (info?.isFile()) {
      const pointer = /^gitdir:\s*(.+)$/m.exec(await readFile(dotGit, 'utf8'))?.[1]?.trim();
      if (!pointer) return undefined;
      const gitDir = resolve(dir, pointer);
      const common = (await readFile(join(gitDir, 'commondir'), 'utf8').catch(() => undefined))?.trim();
      const commonDir = common ? resolve(gitDir, common) : gitDir;
      // A linked worktree's common dir is `<main checkout>/.git`; a submodule's git dir is its own.
      return locationAt(basename(commonDir) === '.git' && common ? dirname(commonDir) : dir);
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

async function locationAt(repoRoot: string): Promise<BoardLocation> {
  const dir = join(repoRoot, BOARD_DIR_NAME);
  const dbPath = join(dir, BOARD_DB_NAME);
  return { repoRoot, dir, dbPath, exists: (await boardTrace(dbPath)) !== undefined };
}

/** Creates `.factory/` (ignoring itself, so the board never shows up in `git status`). */
export async function createBoardFolder(repoRoot: string): Promise<string> {
  const dir = join(repoRoot, BOARD_DIR_NAME);
  await mkdir(dir, { recursive: true });
  const ignore = join(dir, '.gitignore');
  if (!(await fileExists(ignore))) await writeFile(ignore, '*\n', 'utf8');
  return dir;
}

async function mainCheckoutOf(commonDir: string, folder: string): Promise<string | undefined> {
  // The usual layout: the common dir is `<main checkout>/.git`.
  if (basename(commonDir) === '.git') return dirname(commonDir);
  // Anything else (a bare repository, a separate git dir): ask git for the top level of `folder`
  // itself, which is a work tree of this repository.
  try {
    const { stdout } = await run('git', ['rev-parse', '--path-format=absolute', '--show-toplevel'], {
      cwd: folder,
      encoding: 'utf8',
      windowsHide: true,
    });
    const top = stdout.trim();
    return top === '' ? undefined : top;
  } catch {
    return undefined;
  }
}

async function fileExists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
