import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import * as path from 'node:path';

/**
 * The live processes (read from /proc, so Linux only) that belong to a board: working in a folder
 * under `root`, or with the board in AGENT_FACTORY_BOARD, which the runner hands every agent and
 * its children inherit. Each is described by its pid and command line.
 */
export function processesOfBoard(root: string, boardDir: string): string[] {
  const found: string[] = [];
  const inside = (dir: string): boolean => dir === root || dir.startsWith(root + path.sep);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const status = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // A zombie has exited; only its parent's wait is missing.
      if (/\) Z /.test(status)) continue;
      const env = readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
      if (inside(readlinkSync(`/proc/${entry}/cwd`)) || env.includes(`AGENT_FACTORY_BOARD=${boardDir}`)) {
        found.push(`${entry} ${readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim()}`);
      }
    } catch {
      // Gone meanwhile, or another user's: not one of ours.
    }
  }
  return found;
}
