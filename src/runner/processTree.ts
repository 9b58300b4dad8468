/**
 * Spawning an agent so that its whole process tree can be stopped, and asking whether a process
 * still lives.
 *
 * On POSIX every agent starts as the leader of its own process group (`detached: true`) and is
 * signalled as a group (`kill(-pgid)`). That reaches grandchildren even after the agent itself
 * exited and its children were re-parented, which a walk of the parent/child table (tree-kill's
 * approach: `ps`, then signal each pid) cannot find, and it needs no extra process per kill.
 * Linux does not hand out a pid while it is still in use as a group id, so signalling a group
 * whose leader died cannot hit an unrelated process. Windows has no process groups of this kind:
 * there tree-kill runs `taskkill /T`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import treeKill from 'tree-kill';

const usesProcessGroups = process.platform !== 'win32';

export interface SpawnAgentOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/** Starts `program` with `args` as an argument array: never a shell, stdin closed, output piped. */
export function spawnAgentProcess(program: string, args: readonly string[], options: SpawnAgentOptions): ChildProcess {
  return spawn(program, args, {
    cwd: options.cwd,
    env: options.env,
    shell: false,
    detached: usesProcessGroups,
    stdio: ['ignore', 'pipe', 'pipe'],
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
export function isProcessTreeAlive(pid: number): boolean {
  if (!isValidPid(pid)) return false;
  if (!usesProcessGroups) return isProcessAlive(pid);
  try {
    process.kill(-pid, 0);
  } catch (err) {
    return isErrno(err, 'EPERM');
  }
  return process.platform !== 'linux' || hasLiveGroupMember(pid);
}

function hasLiveGroupMember(pgid: number): boolean {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return true;
  }
  for (const entry of entries) {
    if (!/^[0-9]+$/.test(entry)) continue;
    const fields = procStatFields(Number(entry));
    // After the command name: state, ppid, pgrp, ...
    if (fields && Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') return true;
  }
  return false;
}

/** The fields of /proc/<pid>/stat after the command name (which may contain spaces and parens). */
function procStatFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/**
 * True when a process with this pid exists and has not exited. A zombie (exited, not yet reaped,
 * which happens to orphans in containers whose init does not reap) counts as dead. A process of
 * another user counts as alive (EPERM).
 */
export function isProcessAlive(pid: number | undefined): boolean {
  if (pid === undefined || !isValidPid(pid)) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return isErrno(err, 'EPERM');
  }
  return !isZombie(pid);
}

function isZombie(pid: number): boolean {
  if (process.platform !== 'linux') return false;
  const state = procStatFields(pid)?.[0];
  return state === 'Z' || state === 'X';
}

function isValidPid(pid: number): boolean {
  return Number.isInteger(pid) && pid > 0;
}

function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as NodeJS.ErrnoException).code === code;
}
