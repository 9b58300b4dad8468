import { stat } from 'node:fs/promises';
import type { Logger } from '../agent';
import type { RunStopper, WorktreeSignals } from './signals';
import type { Run } from '../../domain/run';
import type { GitPort } from '../../git/port';
import { isProcessTreeAlive, signalProcessTree } from '../../runner/processTree';
import type { Settings } from '../../settings/settings';

/** Stops a run this window owns through its runner; undefined when the runner does not own it. */
export type LocalRunStop = (run: Run, status: 'timed_out' | 'cancelled' | 'lost') => Promise<boolean>;

/**
 * The PM's ports in the editor: worktree signals from git, and a stopper that goes through this
 * window's runner for its own runs and signals the process group for anything else on this
 * machine (an orphan whose window died).
 */
export function createPmPorts(config: Settings, git: GitPort, log: Logger, localStop: () => LocalRunStop | undefined): { signals: WorktreeSignals; stopper: RunStopper } {
  const signals: WorktreeSignals = {
    async exists(path) {
      try {
        return (await stat(path)).isDirectory();
      } catch {
        return false;
      }
    },
    async activity(path, base, signal) {
      if (!(await signals.exists(path))) return undefined;
      return git.worktreeActivity(path, base, { signal });
    },
  };
  const stopper: RunStopper = {
    async stop(run, status) {
      const local = localStop();
      if (local && (await local(run, status))) return;
      if (run.pid === undefined) return;
      const grace = config.pmSettings().stopGraceMs;
      if (!signalProcessTree(run.pid, 'SIGTERM')) return;
      const deadline = Date.now() + grace;
      while (Date.now() < deadline && isProcessTreeAlive(run.pid)) await new Promise((r) => setTimeout(r, 200));
      if (isProcessTreeAlive(run.pid)) {
        log.warn(`Run ${run.id}: process group ${run.pid} ignored SIGTERM; killing it`);
        signalProcessTree(run.pid, 'SIGKILL');
      }
    },
  };
  return { signals, stopper };
}
