/**
 * What the PM and the orphan finder look up in the process table before they judge runs,
 * asynchronously: which runs' agents left a process tree behind after their leader exited (a
 * grandchild still working). Inside a board write only single-process checks happen; a scan of
 * the table never runs there.
 */
import { ownerHost, type ProcessProbe } from '../domain/liveness';
import type { Run } from '../domain/run';
import { processTreeAlive } from './processTree';

export type TreeCheck = (pid: number) => Promise<boolean>;

/** Ids of runs on this machine whose agent's leader is gone but whose process group lives on. */
export async function runsWithLiveTrees(runs: readonly Run[], probe: ProcessProbe, treeAlive: TreeCheck = processTreeAlive): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const run of runs) {
    if (run.pid === undefined || ownerHost(run.owner) !== probe.hostname || probe.isAlive(run.pid)) continue;
    if (await treeAlive(run.pid)) ids.add(run.id);
  }
  return ids;
}
