/**
 * What an exited agent left running: processes of its process group (its children and theirs)
 * still there after the agent itself exited. The agent's owner stops them when it sees the agent
 * exit; when the owner is gone too, nobody else would, so the PM does (runsWithLeftovers, then
 * stopLeftovers).
 *
 * The group id is the agent's pid, and Linux hands that pid out again once the group is empty, so
 * a group of that id proves nothing by itself. A process counts as the run's only while, at the
 * moment it is looked at, it is in the group and in the session the agent led (only the agent's
 * descendants can be), it started no earlier than the agent (in this boot), and its environment
 * carries the run's id (AGENT_FACTORY_RUN_ID, which the runner gives every agent and which its
 * children inherit). Every signal goes to one such process, checked again just before it is sent;
 * a descendant that dropped the run's id from its environment is left alone.
 */
import { readFileSync } from 'node:fs';
import { parseOwner, type ProcessProbe } from '../domain/liveness';
import type { Logger } from '../domain/logger';
import { isLive, TERMINAL_AGENT, type Run } from '../domain/run';
import { startTicksThisBoot } from './processIdentity';
import { hasProcFs, isDeadState, listGroupMembers, readProcStatSync } from './procStat';
import { isProcessAlive, processGroupExists } from './processTree';
import { stopProcessTree } from './stopProcessTree';

/** What a run records of its agent. */
export type AgentRecord = Pick<Run, 'id' | 'pid' | 'processStart'>;

/** The variable that marks an agent, and everything it starts, with its run's id. */
export const RUN_ID_ENV = 'AGENT_FACTORY_RUN_ID';

interface Evidence {
  runId: string;
  /** The agent's pid: its process group and session. */
  pgid: number;
  /** When the agent started (clock ticks of this boot), when recorded. */
  startTicks: number | undefined;
}

function evidenceOf(agent: AgentRecord): Evidence | undefined {
  if (!hasProcFs || agent.pid === undefined) return undefined;
  const ticks = startTicksThisBoot(agent.processStart);
  // Nothing started in an earlier boot still runs.
  if (ticks === 'other-boot') return undefined;
  return { runId: agent.id, pgid: agent.pid, startTicks: ticks };
}

/** Whether `pid` is, right now, a process the run's agent left: two small reads, no scan. */
function isLeftover(pid: number, e: Evidence): boolean {
  const stat = readProcStatSync(pid);
  if (!stat || isDeadState(stat.state) || stat.pgrp !== e.pgid || stat.session !== e.pgid) return false;
  if (e.startTicks !== undefined && stat.startTicks < e.startTicks) return false;
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`${RUN_ID_ENV}=${e.runId}`);
  } catch {
    return false;
  }
}

/**
 * The pids the run's agent left running, found with one asynchronous look through the process
 * table. None while the agent itself lives: what it runs is its own business then.
 */
export async function findLeftovers(agent: AgentRecord): Promise<number[]> {
  const e = evidenceOf(agent);
  if (!e || !processGroupExists(e.pgid) || isProcessAlive(e.pgid)) return [];
  const members = (await listGroupMembers(e.pgid)) ?? [];
  return members.map((m) => m.pid).filter((pid) => isLeftover(pid, e));
}

/**
 * Stops what the run's agent left running through the one stop routine (SIGTERM, grace,
 * SIGKILL), each signal sent process by process to what is still the run's at that moment.
 * Resolves with every pid that was found and stopped (empty when nothing was left).
 */
export async function stopLeftovers(agent: AgentRecord, options: { graceMs: number; log?: Logger | undefined }): Promise<number[]> {
  const e = evidenceOf(agent);
  let current = await findLeftovers(agent);
  if (!e || current.length === 0) return [];
  const found = new Set(current);
  await stopProcessTree(e.pgid, {
    graceMs: options.graceMs,
    label: `the processes the agent of run ${agent.id} (pid ${e.pgid}) left running`,
    log: options.log,
    treeAlive: async () => {
      current = await findLeftovers(agent);
      for (const pid of current) found.add(pid);
      return current.length > 0;
    },
    send: (signal) => {
      let sent = false;
      for (const pid of current) {
        if (!isLeftover(pid, e)) continue;
        try {
          process.kill(pid, signal);
          sent = true;
        } catch {
          // Gone between the check and the signal: nothing to stop.
        }
      }
      return sent;
    },
  });
  return [...found].sort((a, b) => a - b);
}

/**
 * Runs of this machine whose agent exited and whose owner is gone while processes the agent
 * started still run: nobody else will stop them. Any status counts, since a run can end (a
 * verdict through the CLI) just before its owner dies; ended runs only when their agent started
 * in this boot. One signal per candidate; the process table is read only for a group that exists.
 */
export async function runsWithLeftovers(runs: readonly Run[], probe: ProcessProbe): Promise<{ run: Run; pids: number[] }[]> {
  const found: { run: Run; pids: number[] }[] = [];
  for (const run of runs) {
    const owner = parseOwner(run.owner);
    if (run.pid === undefined || owner.host !== probe.hostname) continue;
    if (owner.pid !== undefined && probe.isAlive(owner.pid)) continue;
    if (probe.isAlive(run.pid) && probe.isSameProcess(run.pid, run.processStart) !== false) continue;
    if (!isLive(run) && typeof startTicksThisBoot(run.processStart) !== 'number') continue;
    if (!processGroupExists(run.pid)) continue;
    const pids = await findLeftovers(run);
    if (pids.length > 0) found.push({ run, pids });
  }
  return found;
}

/**
 * Ended runs of this machine whose agent itself still runs (the same process: pid and start time)
 * although its owner is gone and the run ended more than `graceMs` ago: the owner stops such an
 * agent once the grace after its verdict is over, and nobody else would. Live runs are not here:
 * their agent is an orphan, listed for a person.
 */
export function endedRunsWithLiveAgents(runs: readonly Run[], probe: ProcessProbe, now: number, graceMs: number): Run[] {
  return runs.filter((run) => {
    // A terminal is a person's, whatever runs in it: never stopped by time.
    if (isLive(run) || run.agent === TERMINAL_AGENT || run.pid === undefined || run.endedAt === undefined || now - run.endedAt < graceMs) return false;
    const owner = parseOwner(run.owner);
    if (owner.host !== probe.hostname || (owner.pid !== undefined && probe.isAlive(owner.pid))) return false;
    return probe.isAlive(run.pid) && probe.isSameProcess(run.pid, run.processStart) === true;
  });
}
