import { readdirSync, readFileSync } from 'node:fs';
import { sep } from 'node:path';
import { readProcStatSync } from '../../src/process/procStat';

/** The processes whose parent is `pid`, from /proc, with their command lines. */
export function childrenOf(pid: number): Array<{ pid: number; cmdline: string[] }> {
  const found: Array<{ pid: number; cmdline: string[] }> = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readProcStatSync(Number(entry))?.ppid === pid) found.push({ pid: Number(entry), cmdline: readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean) });
    } catch {
      // Gone between the listing and the read.
    }
  }
  return found;
}

/** This extension host's process starters (where the editor starts git; src/process/processStarter.ts). */
export function processStarters(): Array<{ pid: number; cmdline: string[] }> {
  return childrenOf(process.pid).filter((c) => c.cmdline.some((arg) => arg.endsWith(`${sep}processStarter.js`)));
}
