/**
 * Is a run's process still there? A run is alive while its owner heartbeats and, when the owner
 * is on this machine, while its process exists. The original left runs of a crashed process
 * `running` forever.
 */
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { Run } from '../../domain/run';
import { isProcessAlive } from '../../runner/processTree';
import { DEFAULT_HEARTBEAT_INTERVAL_MS } from '../../runner/runManager';

export interface ProcessProbe {
  readonly hostname: string;
  isAlive(pid: number): boolean;
  /** Whether `pid` was started for run `runId`; undefined when that cannot be told here. */
  belongsToRun(pid: number, runId: string): Promise<boolean | undefined>;
}

export type Liveness = { alive: true } | { alive: false; reason: string };

/** Owner ids are `<hostname>:<pid>:<random>`. */
export function ownerHost(owner: string): string {
  return owner.split(':')[0] ?? '';
}

export function runLiveness(run: Run, now: number, heartbeatTimeoutMs: number, probe: ProcessProbe): Liveness {
  if (run.status !== 'running' && run.status !== 'queued') return { alive: false, reason: `it ended ${run.status}` };
  const silence = now - run.heartbeatAt;
  // A live owner records its agent's exit within milliseconds; only when it has also stopped
  // heartbeating for two of its intervals is a vanished process a lost run, not a race.
  if (run.pid !== undefined && ownerHost(run.owner) === probe.hostname && !probe.isAlive(run.pid) && silence > 2 * DEFAULT_HEARTBEAT_INTERVAL_MS) {
    return { alive: false, reason: `its process ${run.pid} is gone and its owner recorded no outcome` };
  }
  if (silence > heartbeatTimeoutMs) {
    return { alive: false, reason: `its owner has not reported for ${Math.round(silence / 1000)} s (window closed or crashed)` };
  }
  return { alive: true };
}

export const localProcessProbe: ProcessProbe = {
  hostname: hostname(),
  isAlive: (pid) => isProcessAlive(pid),
  async belongsToRun(pid, runId) {
    if (process.platform !== 'linux') return undefined;
    try {
      const environ = await readFile(`/proc/${pid}/environ`, 'utf8');
      return environ.split('\0').includes(`AGENT_FACTORY_RUN_ID=${runId}`);
    } catch {
      return false;
    }
  },
};
