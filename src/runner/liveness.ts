/**
 * Whether a live-looking run row still has someone behind it. The process that owns a run (the
 * RunManager of one extension host) writes `heartbeatAt` for each of its queued and running runs
 * every few seconds; an agent's own CLI calls only count as activity (`lastOutputAt`), so an
 * orphaned agent cannot keep its dead owner's run looking alive.
 *
 * A run is lost when its owner stopped heartbeating (host crashed, window killed), or when its
 * process is gone and the owner, which would have recorded the outcome within milliseconds, has
 * not heartbeated for two intervals either.
 */
import type { Clock } from '../domain/clock';
import { isLive, type Run } from '../domain/run';
import type { Board } from '../store/api';
import { isProcessAlive } from './processTree';
import { ensureRunThread } from './threads';

export const RUN_HEARTBEAT_INTERVAL_MS = 10_000;
/** How long a run may go without its owner's heartbeat before it is lost. */
export const RUN_HEARTBEAT_TIMEOUT_MS = 60_000;

export type RunLiveness =
  | { alive: true }
  | {
      alive: false;
      reason: string;
      /** The agent's pid when it still runs although its owner is gone. */
      orphanPid?: number | undefined;
    };

export interface LivenessOptions {
  heartbeatTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /** Injected in tests; defaults to a real check of the process table. */
  isAlive?: (pid: number) => boolean;
}

export function runLiveness(run: Run, now: number, options: LivenessOptions = {}): RunLiveness {
  const timeout = options.heartbeatTimeoutMs ?? RUN_HEARTBEAT_TIMEOUT_MS;
  const interval = options.heartbeatIntervalMs ?? RUN_HEARTBEAT_INTERVAL_MS;
  const alive = options.isAlive ?? isProcessAlive;
  if (!isLive(run)) return { alive: false, reason: `the run is ${run.status}` };
  const silentFor = now - run.heartbeatAt;
  const processAlive = run.pid !== undefined && alive(run.pid);
  if (silentFor > timeout) {
    return {
      alive: false,
      reason: `its owner (${run.owner}) stopped heartbeating ${formatDuration(silentFor)} ago`,
      orphanPid: processAlive ? run.pid : undefined,
    };
  }
  if (run.status === 'running' && run.pid !== undefined && !processAlive && silentFor > 2 * interval) {
    return { alive: false, reason: `its process ${run.pid} is gone and no outcome was recorded` };
  }
  return { alive: true };
}

/**
 * Marks every queued or running run that has nobody behind it `lost`, with a message in the
 * ticket's run thread saying why. Re-checks inside the write, so a run that heartbeated meanwhile
 * is left alone. For the PM's cycle and for activation.
 */
export async function markLostRuns(board: Board, clock: Clock, options: LivenessOptions = {}): Promise<Run[]> {
  const suspects = board.listRuns({ status: ['queued', 'running'] }).filter((r) => !runLiveness(r, clock.now(), options).alive);
  if (suspects.length === 0) return [];
  return board.write((tx) => {
    const lost: Run[] = [];
    const now = clock.now();
    for (const suspect of suspects) {
      const run = tx.getRun(suspect.id);
      if (!run) continue;
      const verdict = runLiveness(run, now, options);
      if (verdict.alive) continue;
      if (!isLive(run)) continue;
      const orphan = verdict.orphanPid !== undefined ? ` Its agent process ${verdict.orphanPid} still runs without an owner.` : '';
      lost.push(tx.updateRun(run.id, { status: 'lost', endedAt: now, note: `lost: ${verdict.reason}` }));
      const thread = ensureRunThread(tx, run.ticketId);
      tx.addMessage({
        conversationId: thread.id,
        author: 'runner',
        kind: 'system',
        body: `${run.stage} run ${run.id} (${run.agent}, attempt ${run.attempt}) is lost: ${verdict.reason}.${orphan}`,
        metadata: { runId: run.id, stage: run.stage, status: 'lost' },
      });
    }
    return lost;
  });
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}
