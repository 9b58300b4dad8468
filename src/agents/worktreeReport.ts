/**
 * What a Worktree agent cycle found and did, per worktree: stored on the board for every window
 * (the Agents view shows it) and summed up as the agent's activity line.
 */
import type { Status } from '../domain/status';
import type { KeptBecause } from '../git/cleanupPolicy';
import type { MaterializeAction } from '../git/materialize';
import type { CycleResult } from './agent';

/** Where the last report lives in the store (JSON of WorktreeReport). */
export const WORKTREE_REPORT_META = 'worktree.report';

/** `deferred`: missing, but not recreated this cycle (per-cycle limit, or a board-wide cap). */
export type WorktreeAction = 'ok' | MaterializeAction | 'removed' | 'kept' | 'missing' | 'deferred';

export interface WorktreeReportEntry {
  path: string;
  ticketId?: string | undefined;
  ticketStatus?: Status | undefined;
  branch?: string | undefined;
  base: string;
  dirty: boolean;
  /** Staged, modified, untracked and conflicted files. */
  changedFiles: number;
  ahead: number;
  behind: number;
  sizeBytes?: number | undefined;
  /** Newest of: last commit, newest uncommitted file change, worktree creation. */
  lastActivityAt?: number | undefined;
  stale: boolean;
  heavy: boolean;
  missing: boolean;
  locked: boolean;
  action: WorktreeAction;
  keptBecause?: KeptBecause | undefined;
  /** The salvage a removal left (`sv-...`). */
  salvageId?: string | undefined;
  /** "kept: dirty (2 uncommitted or untracked files)", "recreated from factory/T-1-x". */
  note?: string | undefined;
}

export interface WorktreeReport {
  at: number;
  location: string;
  base: string;
  entries: WorktreeReportEntry[];
  blockers: { ticketId: string; reason: string }[];
  errors: string[];
  /** Things the user should know that belong to no entry: moved copies found, interrupted removals finished. */
  notes?: string[] | undefined;
  /** True when a board-wide cap stopped a recreation. */
  capped?: boolean | undefined;
}

/** Whether the stored report says what `report` says (when each was made aside). */
export function sameReport(stored: string | undefined, report: WorktreeReport): boolean {
  const previous = parseWorktreeReport(stored);
  return previous !== undefined && JSON.stringify({ ...previous, at: 0 }) === JSON.stringify({ ...report, at: 0 });
}

export function parseWorktreeReport(raw: string | undefined): WorktreeReport | undefined {
  if (!raw) return undefined;
  try {
    const value = JSON.parse(raw) as WorktreeReport;
    return typeof value === 'object' && value !== null && Array.isArray(value.entries) ? value : undefined;
  } catch {
    return undefined;
  }
}

const KEPT_ORDER: readonly KeptBecause[] = ['dirty', 'unmerged', 'ignored', 'nested-repo', 'hidden-changes', 'stash', 'filtered', 'busy', 'permissions', 'locked', 'submodules', 'security-scan', 'error'];

export function summarizeReport(r: WorktreeReport): CycleResult {
  const count = (a: WorktreeAction): number => r.entries.filter((e) => e.action === a).length;
  const present = r.entries.filter((e) => !e.missing && e.action !== 'removed' && e.action !== 'deferred').length;
  const parts = [`${present} worktree${present === 1 ? '' : 's'}`];
  const created = count('created') + count('recreated') + count('adopted');
  if (created > 0) parts.push(`${created} created`);
  if (count('removed') > 0) parts.push(`${count('removed')} removed (salvaged)`);
  const kept = r.entries.filter((e) => e.action === 'kept');
  if (kept.length > 0) {
    const why = KEPT_ORDER.map((k) => [k, kept.filter((e) => e.keptBecause === k).length] as const).filter(([, n]) => n > 0);
    parts.push(`${kept.length} kept (${why.map(([k, n]) => `${n} ${k}`).join(', ')})`);
  }
  if (count('deferred') > 0) parts.push(`${count('deferred')} not recreated yet${r.capped ? ' (board-wide cap reached)' : ''}`);
  const flagged = r.entries.filter((e) => e.stale || e.heavy).length;
  if (flagged > 0) parts.push(`${flagged} stale or heavy`);
  if (r.blockers.length > 0) parts.push(`${r.blockers.length} missing: ${r.blockers.map((b) => b.ticketId).join(', ')}`);
  if (r.errors.length > 0) parts.push(`${r.errors.length} error${r.errors.length === 1 ? '' : 's'}`);
  if (r.notes && r.notes.length > 0) parts.push(`${r.notes.length} note${r.notes.length === 1 ? '' : 's'}: ${r.notes[0]}`);
  return { summary: parts.join(', '), attention: r.blockers.length > 0 || r.errors.length > 0 || r.capped === true || (r.notes?.length ?? 0) > 0 };
}
