/**
 * Everything a worktree folder holds, sorted by where a salvage keeps it: files git tracks or
 * could track (saved as a commit of their bytes), ignored files and folders, nested repositories
 * and empty folders (an archive), regenerable folders (left out, named), and whatever stands in
 * the way of a removal (unreadable or undeletable folders, skip-worktree and assume-unchanged
 * entries, conflicts). `git status` sees none of the ignored part; this walk sees all of it.
 */
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import picomatch from 'picomatch';
import { parseNulList } from '../porcelain';
import { runGit } from '../runGit';
import { walkTree, type WalkEntry } from './walkTree';

export type UnitKind = 'ignored' | 'nested-repo' | 'empty-dir';

/** Something kept whole in the archive: an ignored file or folder, a nested repository, an empty folder. */
export interface ArchiveUnit {
  rel: string;
  kind: UnitKind;
  dir: boolean;
  bytes: number;
}

export interface SavedFile {
  rel: string;
  symlink: boolean;
  exec: boolean;
  bytes: number;
}

export interface WorktreeInventory {
  /** Tracked files and untracked ones that are not ignored, as they are on disk. */
  files: SavedFile[];
  fileBytes: number;
  units: ArchiveUnit[];
  /** Ignored folders matching the regenerable list: never archived, always named. */
  regenerable: { rel: string; bytes: number }[];
  /** Every nested repository, wherever it is (also inside ignored or regenerable folders). */
  nestedRepos: string[];
  /** FIFOs, sockets, devices: no bytes to save. */
  special: string[];
  /** Folders that cannot be read: nothing in them can be saved. */
  unreadable: string[];
  /** Folders whose entries we may not delete: a removal would stop half way. */
  undeletable: string[];
  skipWorktree: string[];
  assumeUnchanged: string[];
  /** Paths with conflicts (unmerged index entries). */
  unmerged: string[];
}

/**
 * Whether an ignored folder is regenerable: a plain name (`node_modules`) matches a folder of that
 * name anywhere, a pattern with a slash (`.next/cache`) matches the path from the worktree root.
 */
export function regenerableMatcher(patterns: readonly string[]): (rel: string) => boolean {
  const names = new Set(patterns.filter((p) => !p.includes('/')));
  const globs = patterns.filter((p) => p.includes('/')).map((p) => picomatch(p.replace(/\/+$/, ''), { dot: true }));
  return (rel) => names.has(basename(rel)) || globs.some((m) => m(rel));
}

export async function takeInventory(worktree: string, regenerablePatterns: readonly string[], signal?: AbortSignal): Promise<WorktreeInventory> {
  const [ignoredOut, stagesOut, tagsOut] = await Promise.all([
    runGit(worktree, ['ls-files', '-z', '--others', '--ignored', '--exclude-standard', '--directory'], { signal }),
    runGit(worktree, ['ls-files', '-z', '--stage'], { signal }),
    runGit(worktree, ['ls-files', '-z', '-v'], { signal }),
  ]);
  const ignoredRoots = new Set(parseNulList(ignoredOut).map((p) => p.replace(/\/$/, '')));
  const inv: WorktreeInventory = {
    files: [], fileBytes: 0, units: [], regenerable: [], nestedRepos: [], special: [], unreadable: [], undeletable: [],
    skipWorktree: [], assumeUnchanged: [], unmerged: [],
  };
  for (const line of parseNulList(stagesOut)) {
    const tab = line.indexOf('\t');
    const stage = line.slice(0, tab).split(' ')[2];
    const path = line.slice(tab + 1);
    if (stage !== '0' && !inv.unmerged.includes(path)) inv.unmerged.push(path);
  }
  for (const line of parseNulList(tagsOut)) {
    const tag = line[0] ?? '';
    const path = line.slice(2);
    if (tag === 'S' || tag === 's') inv.skipWorktree.push(path);
    else if (tag !== tag.toUpperCase()) inv.assumeUnchanged.push(path);
  }

  const isRegenerable = regenerableMatcher(regenerablePatterns);
  /** The unit or regenerable folder the walk is inside, and its running size. */
  const open: { rel: string; counter: { bytes: number }; nestedAsUnits: boolean }[] = [];
  const within = (rel: string): (typeof open)[number] | undefined => {
    while (open.length > 0 && !rel.startsWith(`${open[open.length - 1].rel}/`)) open.pop();
    return open[open.length - 1];
  };

  await walkTree(
    worktree,
    async (e) => {
      if (e.rel === '.git') return 'skip';
      const outer = within(e.rel);
      const isDir = e.stat.isDirectory();
      if (isDir) await checkFolder(e, inv);
      if (outer) {
        if (!isDir) outer.counter.bytes += e.stat.size;
        if (isDir && e.children?.includes('.git')) {
          inv.nestedRepos.push(e.rel);
          if (outer.nestedAsUnits) {
            // A repository inside a regenerable folder is not regenerable: it is archived on its own.
            const unit: ArchiveUnit = { rel: e.rel, kind: 'nested-repo', dir: true, bytes: 0 };
            inv.units.push(unit);
            open.push({ rel: e.rel, counter: unit, nestedAsUnits: false });
          }
        }
        return 'descend';
      }
      if (ignoredRoots.has(e.rel)) {
        if (isDir && isRegenerable(e.rel)) {
          const entry = { rel: e.rel, bytes: 0 };
          inv.regenerable.push(entry);
          open.push({ rel: e.rel, counter: entry, nestedAsUnits: true });
          return 'descend';
        }
        const unit: ArchiveUnit = { rel: e.rel, kind: 'ignored', dir: isDir, bytes: isDir ? 0 : e.stat.size };
        inv.units.push(unit);
        if (isDir && e.children?.includes('.git')) inv.nestedRepos.push(e.rel);
        if (isDir) open.push({ rel: e.rel, counter: unit, nestedAsUnits: false });
        return 'descend';
      }
      if (isDir) {
        if (e.children?.includes('.git')) {
          inv.nestedRepos.push(e.rel);
          const unit: ArchiveUnit = { rel: e.rel, kind: 'nested-repo', dir: true, bytes: 0 };
          inv.units.push(unit);
          open.push({ rel: e.rel, counter: unit, nestedAsUnits: false });
        } else if (e.children && e.children.length === 0) {
          inv.units.push({ rel: e.rel, kind: 'empty-dir', dir: true, bytes: 0 });
        }
        return 'descend';
      }
      if (e.stat.isFile() || e.stat.isSymbolicLink()) {
        if (e.stat.isFile() && !(await readable(e.abs))) inv.unreadable.push(e.rel);
        inv.files.push({ rel: e.rel, symlink: e.stat.isSymbolicLink(), exec: (e.stat.mode & 0o111) !== 0, bytes: e.stat.size });
        inv.fileBytes += e.stat.size;
        return;
      }
      inv.special.push(e.rel);
      return;
    },
    signal,
  );
  // Removal first moves the folder aside within its parent, then deletes everything in it.
  if (!(await writable(worktree))) inv.undeletable.push('.');
  if (!(await writable(dirname(worktree)))) inv.undeletable.push('..');
  return inv;
}

async function checkFolder(e: WalkEntry, inv: WorktreeInventory): Promise<void> {
  if (e.readError) inv.unreadable.push(e.rel);
  if (!(await writable(e.abs))) inv.undeletable.push(e.rel);
}

async function writable(dir: string): Promise<boolean> {
  try {
    await access(dir, constants.W_OK | constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function readable(file: string): Promise<boolean> {
  try {
    await access(file, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}
