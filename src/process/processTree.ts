/**
 * Spawning an agent so that its whole process tree can be stopped, and asking whether a process
 * or a tree still lives.
 *
 * On POSIX every agent starts as the leader of its own process group (`detached: true`) and is
 * signalled as a group (`kill(-pgid)`). That reaches grandchildren even after the agent itself
 * exited and its children were re-parented, which a walk of the parent/child table (tree-kill's
 * approach: `ps`, then signal each pid) cannot find, and it needs no extra process per kill.
 * Linux does not hand out a pid while it is still in use as a group id, so signalling a group
 * whose leader died cannot hit an unrelated process. Windows has no process groups of this kind:
 * there tree-kill runs `taskkill /T`.
 *
 * Asking whether a tree lives means looking through the process table (zombies do not count), so
 * it is asynchronous: it never holds the extension host's thread.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Stream } from 'node:stream';
import treeKill from 'tree-kill';
import { hasProcFs, isDeadState, listGroupMembers, readProcStat, readProcStatSync } from './procStat';

const usesProcessGroups = process.platform !== 'win32';

export interface SpawnAgentOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /**
   * Where the agent's stdout and stderr go: a file descriptor, or a stream with one (the masking
   * log writer's input). Without one they are piped to this process, and the agent dies of a
   * broken pipe at its next output if this process goes away first.
   */
  output?: number | Stream | undefined;
}

/** Starts `program` with `args` as an argument array: never a shell, stdin closed. */
export function spawnAgentProcess(program: string, args: readonly string[], options: SpawnAgentOptions): ChildProcess {
  const out = options.output ?? 'pipe';
  return spawn(program, args, {
    cwd: options.cwd,
    env: options.env,
    shell: false,
    detached: usesProcessGroups,
    stdio: ['ignore', out, out],
    windowsHide: true,
  });
}

/**
 * Sends `signal` to the process tree rooted at `pid` (started by spawnAgentProcess). Returns false
 * when nothing was left to signal.
 */
export function signalProcessTree(pid: number, signal: NodeJS.Signals): boolean {
  if (!isValidPid(pid)) return false;
  if (!usesProcessGroups) {
    treeKill(pid, signal);
    return true;
  }
  try {
    process.kill(-pid, signal);
    return true;
  } catch (err) {
    if (isErrno(err, 'ESRCH')) return false;
    throw err;
  }
}

/**
 * True while any process of the tree started as `pid` has not exited. On Linux zombies do not
 * count: an orphan whose init is slow to reap it (common in containers) is already dead.
 */
export async function processTreeAlive(pid: number): Promise<boolean> {
  if (!isValidPid(pid)) return false;
  if (!usesProcessGroups) return isProcessAlive(pid);
  if (!processGroupExists(pid)) return false;
  return !hasProcFs || hasLiveGroupMember(pid);
}

/** Whether a process group `pgid` has any process, zombies included: one signal 0, no scan. */
export function processGroupExists(pgid: number): boolean {
  if (!usesProcessGroups || !isValidPid(pgid)) return false;
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return isErrno(err, 'EPERM');
  }
}

async function hasLiveGroupMember(pgid: number): Promise<boolean> {
  // The leader is the usual answer: one read instead of the whole table.
  const leader = await readProcStat(pgid);
  if (leader && leader.pgrp === pgid && !isDeadState(leader.state)) return true;
  const members = await listGroupMembers(pgid);
  return members === undefined || members.length > 0;
}

/**
 * True when a process with this pid exists and has not exited. A zombie (exited, not yet reaped,
 * which happens to orphans in containers whose init does not reap) counts as dead. A process of
 * another user counts as alive (EPERM). One signal and one small read: no scan.
 */
export function isProcessAlive(pid: number | undefined): boolean {
  if (pid === undefined || !isValidPid(pid)) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return isErrno(err, 'EPERM');
  }
  return !isDeadState(readProcStatSync(pid)?.state);
}

function isValidPid(pid: number): boolean {
  return Number.isInteger(pid) && pid > 0;
}

function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as NodeJS.ErrnoException).code === code;
}
