/**
 * The recorded agent process of a run, for those who did not start it (the PM, the Stop action on
 * an orphan): is the pid still that agent, and stopping it only when it is. A pid whose process
 * started at another time, or whose environment names another run, is someone else's and is never
 * signalled.
 */
import type { Logger } from '../domain/logger';
import type { Run } from '../domain/run';
import { isSameProcess, processHasEnv } from './processIdentity';
import { isProcessAlive, processTreeAlive } from './processTree';
import { stopProcessTree } from './stopProcessTree';

/** `same`: the run's agent (or what is left of its tree); `gone`: nothing left; `other`: not ours. */
export type RunAgentCheck = 'same' | 'gone' | 'other';

export async function checkRunAgent(run: Pick<Run, 'id' | 'pid' | 'processStart'>): Promise<RunAgentCheck> {
  const pid = run.pid;
  if (pid === undefined) return 'gone';
  if (!isProcessAlive(pid)) {
    // The agent exited; its process group may live on in a grandchild. Linux never hands out a pid
    // still in use as a group id, so a live group of this id is the agent's.
    return (await processTreeAlive(pid)) ? 'same' : 'gone';
  }
  const same = isSameProcess(pid, run.processStart);
  if (same !== undefined) return same ? 'same' : 'other';
  // Recorded before start tokens were: the runner marks every agent with its run id.
  return (await processHasEnv(pid, 'AGENT_FACTORY_RUN_ID', run.id)) === true ? 'same' : 'other';
}

/** Stops the run's agent tree (the one stop routine) when the pid is still its agent. */
export async function stopRunAgent(run: Pick<Run, 'id' | 'pid' | 'processStart'>, options: { graceMs: number; log?: Logger }): Promise<RunAgentCheck> {
  const check = await checkRunAgent(run);
  if (check !== 'same' || run.pid === undefined) return check;
  await stopProcessTree(run.pid, { graceMs: options.graceMs, label: `the agent of run ${run.id} (pid ${run.pid})`, log: options.log });
  return 'same';
}
