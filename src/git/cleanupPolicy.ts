/**
 * The one rule for removing a worktree, shared by the Worktree agent and the "Clean Up
 * Worktrees" command. Without asking, only a finished or orphaned worktree that needs no salvage
 * is removed: clean, merged, no ignored files beyond regenerable folders, no nested repository, no
 * skip-worktree or assume-unchanged entry, no stash made in it, no process inside. A user may
 * confirm the removal of one with work in it (it is salvaged completely first); one in use,
 * locked, with submodules, or that could not be fully saved or deleted is always kept.
 */
import type { FolderUse } from './folderInUse';
import { describeUsers } from './folderInUse';
import type { WorktreeStatus } from './port';
import type { WorktreeInventory } from './salvage/inventory';

export type CleanupDecision = 'remove' | 'confirm' | 'keep';
export type KeptBecause =
  | 'dirty'
  | 'unmerged'
  | 'locked'
  | 'submodules'
  | 'in-use'
  | 'busy'
  | 'permissions'
  | 'ignored'
  | 'nested-repo'
  | 'hidden-changes'
  | 'stash'
  | 'filtered'
  | 'security-scan'
  | 'error';

export interface CleanupVerdict {
  decision: CleanupDecision;
  keptBecause?: KeptBecause | undefined;
  /** "3 uncommitted or untracked files", "branch factory/T-2-x has commits not in main". */
  why: string;
}

export interface CleanupFacts {
  /** Finished ticket or no ticket at all; false for a worktree someone is working in. */
  finished: boolean;
  /** Why it is still in use, when it is ("T-3 is IN_DEV"). */
  inUse?: string | undefined;
  locked: boolean;
  lockedReason?: string | undefined;
  status: WorktreeStatus;
  merged: boolean;
  /** Initialized submodules: their own repositories live in the admin folder; never removed. */
  submodules: readonly string[];
  branch?: string | undefined;
  base: string;
  /** What the folder holds beyond git status (undefined: not looked at, for an unfinished one). */
  inventory?: WorktreeInventory | undefined;
  /** Stash entries made in this worktree (`stash@{1}`). */
  stashes?: readonly string[] | undefined;
  /** Processes with their directory or an open file inside. */
  use?: FolderUse | undefined;
}

export function changedCount(status: WorktreeStatus): number {
  return new Set([...status.staged, ...status.modified, ...status.untracked, ...status.conflicted]).size;
}

export function cleanupVerdict(f: CleanupFacts): CleanupVerdict {
  if (!f.finished) return { decision: 'keep', keptBecause: 'in-use', why: f.inUse ?? 'in use' };
  if (f.locked) return { decision: 'keep', keptBecause: 'locked', why: `locked${f.lockedReason ? `: ${f.lockedReason}` : ''}` };
  if (f.submodules.length > 0) {
    return {
      decision: 'keep',
      keptBecause: 'submodules',
      why: `contains submodules (${f.submodules.slice(0, 3).join(', ')}) whose repositories git keeps in the worktree's admin folder; remove it by hand once they are pushed`,
    };
  }
  if (f.use?.state === 'busy') return { decision: 'keep', keptBecause: 'busy', why: `in use by ${describeUsers(f.use.users)}` };
  if (f.use?.state === 'unknown') return { decision: 'keep', keptBecause: 'busy', why: `cannot tell whether a process uses it (${f.use.why})` };
  const inv = f.inventory;
  if (inv && inv.unreadable.length > 0) return { decision: 'keep', keptBecause: 'permissions', why: `cannot read ${list(inv.unreadable)}, so it cannot be saved` };
  if (inv && inv.undeletable.length > 0) return { decision: 'keep', keptBecause: 'permissions', why: `may not delete inside ${list(inv.undeletable.map((d) => (d === '.' ? 'the folder' : d === '..' ? 'its parent folder' : d)))}` };
  if (f.status.dirty) {
    const n = changedCount(f.status);
    return { decision: 'confirm', keptBecause: 'dirty', why: `${n} uncommitted or untracked file${n === 1 ? '' : 's'}` };
  }
  if (!f.merged) {
    return { decision: 'confirm', keptBecause: 'unmerged', why: `${f.branch ? `branch ${f.branch}` : 'its detached HEAD'} has commits not in ${f.base}` };
  }
  if (inv) {
    if (inv.nestedRepos.length > 0) return { decision: 'confirm', keptBecause: 'nested-repo', why: `holds nested repositories (${list(inv.nestedRepos)})` };
    const ignored = inv.units.filter((u) => u.kind === 'ignored');
    if (ignored.length > 0) return { decision: 'confirm', keptBecause: 'ignored', why: `holds ignored files git status does not show (${list(ignored.map((u) => (u.dir ? `${u.rel}/` : u.rel)))})` };
    const hidden = [...inv.skipWorktree, ...inv.assumeUnchanged];
    if (hidden.length > 0) return { decision: 'confirm', keptBecause: 'hidden-changes', why: `has skip-worktree or assume-unchanged entries whose changes git status hides (${list(hidden)})` };
  }
  if (f.stashes && f.stashes.length > 0) return { decision: 'confirm', keptBecause: 'stash', why: `work was stashed in it (${list(f.stashes)}); the stash itself is kept in any case` };
  return { decision: 'remove', why: `clean and merged into ${f.base}` };
}

function list(items: readonly string[]): string {
  return `${items.slice(0, 3).join(', ')}${items.length > 3 ? ` and ${items.length - 3} more` : ''}`;
}
