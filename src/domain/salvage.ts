/**
 * A salvage as the board records it: where a removed worktree's work was saved (refs under
 * `refs/agent-factory/salvage/`, an archive folder on the board), how big it is, what was left
 * out. Salvages stay until someone deletes one explicitly; "Restore Worktree" brings one back.
 */

export type SalvageLeftOutReason = 'regenerable' | 'size cap' | 'special file';

export interface SalvageSummary {
  /** Files saved in the worktree commit (tracked and untracked, as bytes on disk). */
  files: number;
  /** Ignored files and folders, nested repositories and empty folders in the archive (up to 50 names). */
  archived: string[];
  archivedCount: number;
  /** What was not saved, by name, with why (up to 50). */
  leftOut: { path: string; bytes: number; why: SalvageLeftOutReason }[];
  leftOutCount: number;
  nestedRepos: string[];
  /** True when only the git state was saved: the folder itself was already gone. */
  folderGone: boolean;
}

export interface Salvage {
  /** `sv-<hex>`. */
  id: string;
  /** The ticket the worktree belonged to; undefined for an orphaned worktree. */
  ticketId?: string | undefined;
  createdAt: number;
  worktreePath: string;
  /** The branch HEAD was on; undefined when detached. */
  branch?: string | undefined;
  /** The commit HEAD was on. */
  head?: string | undefined;
  /** `refs/agent-factory/salvage/<owner>/<id>`: holds head, index, keep and worktree. */
  refPrefix: string;
  /** The folder with the archives and `manifest.json`. */
  archiveDir: string;
  /** Bytes of everything saved (files and archived content). */
  savedBytes: number;
  /** Bytes the archives take on disk. */
  storedBytes: number;
  /** Why it was made ("removed by the Worktree agent: clean and merged into main"). */
  reason: string;
  summary: SalvageSummary;
  restoredAt?: number | undefined;
  restoredTo?: string | undefined;
}

export type NewSalvage = Omit<Salvage, 'createdAt' | 'restoredAt' | 'restoredTo'>;

/** "12.4 MB", "800 B": sizes as people read them. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 1024) return `${Math.max(0, Math.round(bytes || 0))} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 100 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}
