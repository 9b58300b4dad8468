/**
 * The recorded agent process of a run, for those who did not start it (the PM, the Stop action on
 * an orphan): is the pid still that agent, and stopping it only when it is. A pid whose process
 * started at another time, or whose environment names another run, is someone else's and is never
 * signalled.
 */
import type { Logger } from '../domain/logger';
import type { Run } from '../domain/run';
import { findLeftovers, RUN_ID_ENV, stopLeftovers } from './leftovers';
import { isSameProcess, processHasEnv } from './processIdentity';
import { isProcessAlive } from './processTree';
import { stopProcessTree } from './stopProcessTree';

/** `same`: the run's agent (or what is left of its tree); `gone`: nothing left; `other`: not ours. */
export type RunAgentCheck = 'same' | 'gone' | 'other';

export async function checkRunAgent(run: Pick<Run, 'id' | 'pid' | 'processStart'>): Promise<RunAgentCheck> {
  const pid = run.pid;
  if (pid === undefined) return 'gone';
  if (!isProcessAlive(pid)) {
    // The agent exited; what it started may live on in its group, each process checked to be the
    // run's (the group id alone may be another's once the group emptied).
    return (await findLeftovers(run)).length > 0 ? 'same' : 'gone';
  }
  const same = isSameProcess(pid, run.processStart);
  if (same !== undefined) return same ? 'same' : 'other';
  // Recorded before start tokens were: the runner marks every agent with its run id.
  return (await processHasEnv(pid, RUN_ID_ENV, run.id)) === true ? 'same' : 'other';
}

/** Stops the run's agent tree (the one stop routine) when the pid is still its agent. */
export async function stopRunAgent(run: Pick<Run, 'id' | 'pid' | 'processStart'>, options: { graceMs: number; log?: Logger }): Promise<RunAgentCheck> {
  const check = await checkRunAgent(run);
  if (check !== 'same' || run.pid === undefined) return check;
  if (!isProcessAlive(run.pid)) {
    await stopLeftovers(run, options);
    return 'same';
  }
  await stopProcessTree(run.pid, { graceMs: options.graceMs, label: `the agent of run ${run.id} (pid ${run.pid})`, log: options.log });
  return 'same';
}
