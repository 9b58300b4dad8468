import type { Run } from '../../domain/run';

/** What the PM reads from a ticket's worktree: commits and file changes, from git. */
export interface WorktreeActivity {
  commitsAhead: number;
  lastCommitAt?: number | undefined;
  changedFileCount: number;
  lastFileChangeAt?: number | undefined;
}

export interface WorktreeSignals {
  /** Undefined when the folder is missing. */
  activity(path: string, base: string, signal: AbortSignal): Promise<WorktreeActivity | undefined>;
  exists(path: string): Promise<boolean>;
}

/**
 * Stops a run's process tree and resolves when it is gone: through the runner when this process
 * owns the run, else through the one stop routine, after checking the pid is still the agent's.
 */
export interface RunStopper {
  stop(run: Run, status: 'timed_out' | 'cancelled' | 'failed', note: string): Promise<void>;
}
