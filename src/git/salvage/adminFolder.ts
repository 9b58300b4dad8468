/**
 * A linked worktree's admin folder (`<common dir>/worktrees/<name>/`): its HEAD, index, reflog,
 * per-worktree refs and any rebase or merge in progress. `git worktree remove` and `prune` delete
 * it, and with it every commit only it could reach; a salvage keeps those reachable first.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { gitWithInput } from '../gitStream';
import { runGit } from '../runGit';
import { samePath } from '../paths';

export interface Registration {
  /** The admin folder's name under `worktrees/`. */
  name: string;
  adminDir: string;
  /** The worktree folder its `gitdir` file points at. */
  worktreePath?: string | undefined;
  locked: boolean;
}

export async function gitCommonDir(repo: string, signal?: AbortSignal): Promise<string> {
  const out = (await runGit(repo, ['rev-parse', '--git-common-dir'], { signal })).trim();
  return isAbsolute(out) ? out : resolve(repo, out);
}

/** Every linked worktree's admin folder, with the folder it believes it belongs to. */
export async function registrations(repo: string, signal?: AbortSignal): Promise<Registration[]> {
  const root = join(await gitCommonDir(repo, signal), 'worktrees');
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    return [];
  }
  const out: Registration[] = [];
  for (const name of names.sort()) {
    const adminDir = join(root, name);
    const gitdir = await readFile(join(adminDir, 'gitdir'), 'utf8').catch(() => undefined);
    const target = gitdir?.trim();
    out.push({
      name,
      adminDir,
      worktreePath: target ? dirname(isAbsolute(target) ? target : resolve(adminDir, target)) : undefined,
      locked: existsSync(join(adminDir, 'locked')),
    });
  }
  return out;
}

export async function registrationOf(repo: string, worktreePath: string, signal?: AbortSignal): Promise<Registration | undefined> {
  return (await registrations(repo, signal)).find((r) => r.worktreePath !== undefined && samePath(r.worktreePath, worktreePath));
}

/** The admin folder a worktree folder's `.git` file points at, if it is a linked worktree. */
export async function adminDirOfFolder(folder: string): Promise<string | undefined> {
  const text = await readFile(join(folder, '.git'), 'utf8').catch(() => undefined);
  const target = /^gitdir: (.+)$/m.exec(text ?? '')?.[1]?.trim();
  if (!target) return undefined;
  return isAbsolute(target) ? target : resolve(folder, target);
}

const OBJECT_NAME = /\b[0-9a-f]{40}(?:[0-9a-f]{24})?\b/g;
const MAX_SCANNED_FILE = 4 * 1024 * 1024;

/**
 * Commits and trees named anywhere in the admin folder (HEAD, ORIG_HEAD, MERGE_HEAD, the reflog,
 * per-worktree refs, rebase state), except through its index, whose blobs a salvage saves as a tree.
 */
export async function objectsNamedIn(repo: string, adminDir: string, signal?: AbortSignal): Promise<{ commits: string[]; trees: string[] }> {
  const names = new Set<string>();
  const scan = async (dir: string, top: boolean): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        // Submodules' own repositories live below `modules/`; their objects are not ours.
        if (!(top && entry.name === 'modules')) await scan(path, false);
      } else if (entry.isFile() && !(top && entry.name === 'index')) {
        if ((await stat(path)).size > MAX_SCANNED_FILE) continue;
        for (const m of (await readFile(path, 'latin1')).matchAll(OBJECT_NAME)) names.add(m[0]);
      }
    }
  };
  await scan(adminDir, true);
  if (names.size === 0) return { commits: [], trees: [] };
  const list = [...names];
  const out = await gitWithInput(repo, ['cat-file', '--batch-check'], `${list.join('\n')}\n`, { signal });
  const commits: string[] = [];
  const trees: string[] = [];
  for (const line of out.split('\n')) {
    const [sha, type] = line.split(' ');
    if (type === 'commit' && sha) commits.push(sha);
    else if (type === 'tree' && sha) trees.push(sha);
  }
  return { commits, trees };
}

/**
 * Runs `fn` (a `git worktree add`) while `worktrees/<name>` is taken, so git names the new admin
 * folder `<name>1` or similar. A moved copy of an old worktree still points at `<name>`; it must
 * never find a new worktree's index and HEAD there. The placeholder is locked so that a
 * concurrent `git worktree prune` leaves it alone, and removed afterwards.
 */
export async function withAdminNameTaken<T>(repo: string, name: string, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  const placeholder = join(await gitCommonDir(repo, signal), 'worktrees', name);
  if (existsSync(placeholder)) return fn();
  await mkdir(placeholder, { recursive: true });
  await writeFile(join(placeholder, 'locked'), 'reserved while Agent Factory recreates a worktree\n');
  try {
    return await fn();
  } finally {
    await rm(placeholder, { recursive: true, force: true });
  }
}
