/** Parsers for git's machine-readable outputs. Pure, so they are tested on literal strings. */
import type { ChangeKind, WorktreeEntry, WorktreeStatus } from './port';

/**
 * `git worktree list --porcelain` with or without `-z`. Records are separated by an empty line
 * (or an empty NUL field); the first record is the main checkout.
 */
export function parseWorktreeList(output: string): WorktreeEntry[] {
  const nul = output.includes('\0');
  const fields = output.split(nul ? '\0' : /\r?\n/);
  const entries: WorktreeEntry[] = [];
  let current: WorktreeEntry | undefined;
  const flush = (): void => {
    if (current) entries.push(current);
    current = undefined;
  };
  for (const field of fields) {
    if (field === '') {
      flush();
      continue;
    }
    const space = field.indexOf(' ');
    const key = space < 0 ? field : field.slice(0, space);
    const value = space < 0 ? undefined : field.slice(space + 1);
    if (key === 'worktree') {
      flush();
      current = { path: value ?? '', detached: false, bare: false, main: entries.length === 0, locked: false, prunable: false };
      continue;
    }
    if (!current) continue;
    switch (key) {
      case 'HEAD':
        current.head = value;
        break;
      case 'branch':
        current.branch = value?.startsWith('refs/heads/') ? value.slice('refs/heads/'.length) : value;
        break;
      case 'detached':
        current.detached = true;
        break;
      case 'bare':
        current.bare = true;
        break;
      case 'locked':
        current.locked = true;
        current.lockedReason = value;
        break;
      case 'prunable':
        current.prunable = true;
        current.prunableReason = value;
        break;
      default:
        // Attributes newer git versions may add are ignored rather than guessed at.
        break;
    }
  }
  flush();
  return entries;
}

const CONFLICT_CODES = new Set(['DD', 'AU', 'UD', 'UA', 'DU', 'AA', 'UU']);

/** `git status --porcelain=v1 -z --untracked-files=all`. */
export function parseStatus(output: string): WorktreeStatus {
  const status: WorktreeStatus = { dirty: false, staged: [], modified: [], untracked: [], conflicted: [] };
  const fields = output.split('\0');
  for (let i = 0; i < fields.length; i++) {
    const entry = fields[i] ?? '';
    if (entry.length < 4) continue;
    const x = entry[0] ?? ' ';
    const y = entry[1] ?? ' ';
    const path = entry.slice(3);
    // A rename or copy in the index is followed by its source path in the next field.
    if (x === 'R' || x === 'C') i++;
    if (x === '?' && y === '?') {
      status.untracked.push(path);
    } else if (x === '!' && y === '!') {
      continue;
    } else if (CONFLICT_CODES.has(x + y)) {
      status.conflicted.push(path);
    } else {
      if (x !== ' ') status.staged.push(path);
      if (y !== ' ') status.modified.push(path);
    }
  }
  status.dirty = status.staged.length + status.modified.length + status.untracked.length + status.conflicted.length > 0;
  return status;
}

export interface NameStatusEntry {
  path: string;
  kind: ChangeKind;
  oldPath?: string | undefined;
}

const KIND_BY_LETTER: Record<string, ChangeKind> = {
  A: 'added',
  M: 'modified',
  D: 'deleted',
  R: 'renamed',
  C: 'copied',
  T: 'typechange',
  U: 'modified',
};

/** `git diff --name-status -z`: `M\0path\0`, `R100\0old\0new\0`. */
export function parseNameStatus(output: string): NameStatusEntry[] {
  const fields = output.split('\0');
  const entries: NameStatusEntry[] = [];
  for (let i = 0; i < fields.length; i++) {
    const code = fields[i] ?? '';
    if (code === '') continue;
    const kind = KIND_BY_LETTER[code[0] ?? ''] ?? 'modified';
    if (kind === 'renamed' || kind === 'copied') {
      const oldPath = fields[i + 1];
      const path = fields[i + 2];
      i += 2;
      if (oldPath !== undefined && path !== undefined) entries.push({ path, kind, oldPath });
    } else {
      const path = fields[i + 1];
      i += 1;
      if (path !== undefined) entries.push({ path, kind });
    }
  }
  return entries;
}

/** NUL-separated path lists (`git ls-files -z`). */
export function parseNulList(output: string): string[] {
  return output.split('\0').filter((p) => p !== '');
}
