/**
 * The PM's ports, in the editor and in a headless host alike: worktree signals from git, and a
 * stopper. A run this process owns is stopped through its runner; a run whose owner lives is left
 * to that owner (the PM's write marks it, the owner sees the change and stops its agent); only an
 * orphan, whose owner is gone, is stopped here, and only while its pid is still its agent.
 */
import { stat } from 'node:fs/promises';
import { parseOwner, type ProcessProbe } from '../domain/liveness';
import type { Logger } from '../domain/logger';
import type { RunStopper, WorktreeSignals } from '../agents/pm/signals';
import type { GitPort } from '../git/port';
import { stopRunAgent } from '../process/runAgent';
import type { RunManager } from '../runner/runManager';
import type { Settings } from '../settings/settings';

export interface PmPorts {
  signals: WorktreeSignals;
  stopper: RunStopper;
}

export function createPmPorts(settings: Settings, git: GitPort, log: Logger, probe: ProcessProbe, runs: () => RunManager | undefined): PmPorts {
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
    async stop(run, status, note) {
      const local = runs();
      if (local?.owns(run.id)) {
        await local.stop(run.id, status, note);
        return;
      }
      const owner = parseOwner(run.owner);
      if (owner.host !== probe.hostname || run.pid === undefined) return;
      if (owner.pid !== undefined && probe.isAlive(owner.pid)) return;
      const check = await stopRunAgent(run, { graceMs: settings.pmSettings().stopGraceMs, log });
      if (check === 'other') log.warn(`Run ${run.id}: pid ${run.pid} is no longer its agent; nothing was stopped`);
    },
  };
  return { signals, stopper };
}
