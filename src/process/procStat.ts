/**
 * Reading `/proc/<pid>/stat` on Linux: the state, parent, process group and start time of a
 * process. The command name (field 2) may hold spaces and parentheses, so fields are counted from
 * the last `)`. Elsewhere there is no /proc: every reader returns undefined.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

export interface ProcStat {
  /** R, S, D, Z (zombie), X (dead), T (stopped), ... */
  state: string;
  ppid: number;
  pgrp: number;
  /** Clock ticks after boot at which the process started. */
  startTicks: number;
}

export const hasProcFs = process.platform === 'linux';

export function parseProcStat(text: string): ProcStat | undefined {
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // Counted from field 3 (state): ppid is field 4, pgrp 5, starttime 22.
  const [state, ppid, pgrp, startTicks] = [fields[0], Number(fields[1]), Number(fields[2]), Number(fields[19])];
  if (state === undefined || !Number.isFinite(ppid) || !Number.isFinite(pgrp) || !Number.isFinite(startTicks)) return undefined;
  return { state, ppid, pgrp, startTicks };
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
