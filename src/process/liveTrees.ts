/**
 * What the PM and the orphan finder look up in the process table before they judge runs,
 * asynchronously: which runs' agents left processes behind after their leader exited (a
 * grandchild still working), each checked to be the run's (see leftovers.ts). Inside a board
 * write only single-process checks happen; a scan of the table never runs there.
 */
import { ownerHost, type ProcessProbe } from '../domain/liveness';
import type { Run } from '../domain/run';
import { findLeftovers, type AgentRecord } from './leftovers';

export type TreeCheck = (agent: AgentRecord) => Promise<boolean>;

const hasLeftovers: TreeCheck = async (agent) => (await findLeftovers(agent)).length > 0;

/** Ids of runs on this machine whose agent's leader is gone but whose processes live on. */
export async function runsWithLiveTrees(runs: readonly Run[], probe: ProcessProbe, treeAlive: TreeCheck = hasLeftovers): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const run of runs) {
    if (run.pid === undefined || ownerHost(run.owner) !== probe.hostname || probe.isAlive(run.pid)) continue;
    if (await treeAlive(run)) ids.add(run.id);
  }
  return ids;
}
