/**
 * Who a process is, well enough to tell later whether it still runs: host name, pid namespace and
 * start time (Linux), so a pid reused by an unrelated process or a process in another container is
 * never mistaken for the one that wrote a stamp.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';

export interface ProcessStamp {
  host: string;
  pid: number;
  /** `/proc/self/ns/pid` on Linux: processes in other namespaces cannot be probed by pid. */
  pidns?: string | undefined;
  /** Start time in clock ticks since boot (Linux), so a reused pid is recognised. */
  start?: number | undefined;
}

export function currentProcess(): ProcessStamp {
  return { host: hostname(), pid: process.pid, pidns: pidNamespace(), start: startTimeOf(process.pid) };
}

function pidNamespace(): string | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return undefined;
  }
}

/** Field 22 of /proc/<pid>/stat; undefined where there is no /proc or the process is gone. */
export function startTimeOf(pid: number): number | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const start = Number(fields[19]);
    return Number.isSafeInteger(start) ? start : undefined;
  } catch {
    return undefined;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether the stamped process can be probed from here, and if so whether it is gone: `'dead'`,
 * `'alive'`, or `'unknown'` (another host or pid namespace, where only time can tell).
 */
export function probe(stamp: ProcessStamp, self: ProcessStamp = currentProcess()): 'dead' | 'alive' | 'unknown' {
  if (stamp.host !== self.host || stamp.pidns !== self.pidns) return 'unknown';
  if (!isAlive(stamp.pid)) return 'dead';
  if (stamp.start !== undefined) {
    const now = startTimeOf(stamp.pid);
    if (now !== undefined && now !== stamp.start) return 'dead';
  }
  return 'alive';
}
