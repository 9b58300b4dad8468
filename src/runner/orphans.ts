/**
 * Orphans: agents recorded for this board that still run on this machine although their owner (a
 * window or a headless host) is gone, so nobody watches them or will record how they end. They are
 * listed for a person to stop; nothing stops them by guesswork, and their runs are marked `lost`
 * only once they are stopped or gone. Once such an agent exits by itself, what it left running in
 * its process group is no agent any more: the PM stops it (process/leftovers.ts) and marks the run
 * lost.
 */
import type { Clock } from '../domain/clock';
import { errorMessage } from '../domain/errors';
import { runLiveness, type ProcessProbe } from '../domain/liveness';
import type { Logger } from '../domain/logger';
import { isLive, type Run } from '../domain/run';
import { runsWithLiveTrees, type TreeCheck } from '../process/liveTrees';
import { stopRunAgent } from '../process/runAgent';
import type { Board, BoardReader } from '../store/api';

export interface OrphanContext {
  probe: ProcessProbe;
  heartbeatTimeoutMs: number;
  clock: Clock;
  treeAlive?: TreeCheck;
}

/** Live runs of this board whose agent runs on here with its owner gone. */
export async function findOrphans(board: BoardReader, ctx: OrphanContext): Promise<Run[]> {
  const live = board.listRuns({ status: ['queued', 'running'] });
  const treeAlive = await runsWithLiveTrees(live, ctx.probe, ctx.treeAlive);
  const now = ctx.clock.now();
  return live.filter((run) => {
    const l = runLiveness(run, { now, heartbeatTimeoutMs: ctx.heartbeatTimeoutMs, probe: ctx.probe, treeAlive });
    return l.alive && l.orphan;
  });
}

export type StopOrphanOutcome = 'stopped' | 'gone' | 'not-orphan' | 'other-process';

/**
 * Stops an orphaned agent (SIGTERM, grace, SIGKILL) after checking, at this moment, that its run
 * is still an orphan and its pid still its agent; then marks the run lost.
 */
export async function stopOrphan(board: Board, runId: string, ctx: OrphanContext & { graceMs: number; log: Logger }): Promise<StopOrphanOutcome> {
  await board.refresh();
  const run = board.getRun(runId);
  if (!run || !isLive(run)) return 'not-orphan';
  const orphans = await findOrphans(board, ctx);
  if (!orphans.some((o) => o.id === runId)) return 'not-orphan';
  const check = await stopRunAgent(run, { graceMs: ctx.graceMs, log: ctx.log });
  if (check === 'other') return 'other-process';
  const note = check === 'same' ? 'Lost: its owner was gone; its orphaned agent was stopped' : 'Lost: its owner was gone and its agent had ended';
  await board
    .write((tx) => {
      const row = tx.getRun(runId);
      if (!row || !isLive(row)) return;
      tx.updateRun(runId, { status: 'lost', endedAt: ctx.clock.now(), note });
    })
    .catch((err: unknown) => ctx.log.error(`Could not record that the orphan of run ${runId} was stopped: ${errorMessage(err)}`));
  return check === 'same' ? 'stopped' : 'gone';
}
