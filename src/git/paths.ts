/**
 * Path comparisons for worktrees. Git reports real paths (symlinks resolved, forward slashes on
 * Windows) while settings and tickets hold what the user typed, so both sides are canonicalised
 * before they are compared.
 */
import { realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

const caseInsensitive = process.platform === 'win32' || process.platform === 'darwin';

/**
 * Absolute, symlinks resolved as far as the path exists (a worktree whose folder was deleted
 * still compares equal to git's record of it).
 */
export function canonicalPath(p: string): string {
  const abs = resolve(p);
  const missing: string[] = [];
  let existing = abs;
  for (;;) {
    try {
      const real = realpathSync.native(existing);
      return missing.length === 0 ? real : join(real, ...missing.reverse());
    } catch {
      const parent = dirname(existing);
      if (parent === existing) return abs;
      missing.push(basename(existing));
      existing = parent;
    }
  }
}

/** A key under which two spellings of the same folder are equal. */
export function pathKey(p: string): string {
  const c = canonicalPath(p);
  return caseInsensitive ? c.toLowerCase() : c;
}

export function samePath(a: string, b: string): boolean {
  return pathKey(a) === pathKey(b);
}

/** True when `child` is strictly inside `parent` (not equal to it). */
export function isInside(parent: string, child: string): boolean {
  const rel = relative(pathKey(parent), pathKey(child));
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}
