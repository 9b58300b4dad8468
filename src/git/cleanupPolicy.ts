/**
 * The one rule for removing a worktree, shared by the Worktree agent and the "Clean Up
 * Worktrees" command: only a finished or orphaned worktree that is clean, unlocked and merged is
 * removed without asking. Anything else is kept with a reason a person can read; a user may
 * still confirm a dirty or unmerged one, and its changes are saved as a patch first.
 */
import type { WorktreeStatus } from './port';

export type CleanupDecision = 'remove' | 'confirm' | 'keep';
export type KeptBecause = 'dirty' | 'unmerged' | 'locked' | 'submodules' | 'in-use' | 'error' | 'security-scan';

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
  /** Initialized submodules: never removed automatically nor after a patch (their commits would go). */
  submodules: readonly string[];
  branch?: string | undefined;
  base: string;
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
      why: `contains submodules (${f.submodules.slice(0, 3).join(', ')}) whose own commits a patch cannot save; remove it by hand once they are pushed`,
    };
  }
  if (f.status.dirty) {
    const n = changedCount(f.status);
    return { decision: 'confirm', keptBecause: 'dirty', why: `${n} uncommitted or untracked file${n === 1 ? '' : 's'}` };
  }
  if (!f.merged) {
    return { decision: 'confirm', keptBecause: 'unmerged', why: `${f.branch ? `branch ${f.branch}` : 'its detached HEAD'} has commits not in ${f.base}` };
  }
  return { decision: 'remove', why: `clean and merged into ${f.base}` };
}
