import { spawnSync } from 'node:child_process';

/** The pid of a process that has exited (for stamps and temporary files a killed process left). */
export function deadPid(): number {
  const pid = spawnSync(process.execPath, ['-e', '']).pid;
  if (pid === undefined) throw new Error('could not start a process');
  return pid;
}
