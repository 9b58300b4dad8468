/**
 * Reading `/proc/<pid>/stat` on Linux: the state, parent, process group and start time of a
 * process. The command name (field 2) may hold spaces and parentheses, so fields are counted from
 * the last `)`. Elsewhere there is no /proc: every reader returns undefined.
 */
import { readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';

export interface ProcStat {
  /** R, S, D, Z (zombie), X (dead), T (stopped), ... */
  state: string;
  ppid: number;
  pgrp: number;
  /** The session id: a detached agent leads its own session, which only its descendants join. */
  session: number;
  /** Clock ticks after boot at which the process started. */
  startTicks: number;
}

export const hasProcFs = process.platform === 'linux';

export function parseProcStat(text: string): ProcStat | undefined {
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // Counted from field 3 (state): ppid is field 4, pgrp 5, session 6, starttime 22.
  const [state, ppid, pgrp, session, startTicks] = [fields[0], Number(fields[1]), Number(fields[2]), Number(fields[3]), Number(fields[19])];
  if (state === undefined || ![ppid, pgrp, session, startTicks].every(Number.isFinite)) return undefined;
  return { state, ppid, pgrp, session, startTicks };
}

/** One small procfs read: cheap enough inside a board transaction, never a scan. */
export function readProcStatSync(pid: number): ProcStat | undefined {
  if (!hasProcFs) return undefined;
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

export async function readProcStat(pid: number): Promise<ProcStat | undefined> {
  if (!hasProcFs) return undefined;
  try {
    return parseProcStat(await readFile(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

export function isDeadState(state: string | undefined): boolean {
  return state === 'Z' || state === 'X';
}

/**
 * The live (not dead) processes of process group `pgid`, from one asynchronous look through the
 * process table; undefined when the table cannot be read.
 */
export async function listGroupMembers(pgid: number): Promise<{ pid: number; stat: ProcStat }[] | undefined> {
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return undefined;
  }
  const pids = entries.filter((e) => /^[0-9]+$/.test(e)).map(Number);
  const stats = await Promise.all(pids.map(async (pid) => ({ pid, stat: await readProcStat(pid) })));
  return stats.filter((m): m is { pid: number; stat: ProcStat } => m.stat !== undefined && m.stat.pgrp === pgid && !isDeadState(m.stat.state));
}
