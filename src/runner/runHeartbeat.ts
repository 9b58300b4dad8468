/**
 * The owner's heartbeat: one batched write, every interval, for every run this owner works on
 * (queued, being prepared, running): `heartbeatAt`, the agent's last output time, and how its
 * agent started when the write that recorded that failed (a full disk). Other
 * machines judge the owner by it. The same write ends rows of this owner it no longer works on
 * (their outcome could not be written): no one else may call them lost while the owner lives.
 *
 * `heartbeatAt` belongs to the owner alone: an agent's own CLI calls count as activity
 * (`lastOutputAt`), so an orphaned agent never keeps its owner looking alive.
 */
import { errorMessage } from '../domain/errors';
import type { Disposable } from '../domain/event';
import type { Logger } from '../domain/logger';
import type { Clock } from '../domain/clock';
import { isLive, type Run } from '../domain/run';
import type { Board, BoardTx } from '../store/api';

export interface HeartbeatDeps {
  board: Board;
  clock: Clock;
  log: Logger;
  intervalMs: number;
  /** A row of this owner not heartbeated for this long, and not tracked, is ended as lost. */
  forgetAfterMs: number;
  /** The runs this owner works on now. */
  tracked(): ReadonlySet<string>;
  /** When the run's agent last wrote output, if it did. */
  lastOutputAt(runId: string): number | undefined;
  /** How the run's agent started, when the write that recorded it failed: written with the beat. */
  unsavedStart(runId: string): RunStart | undefined;
  /** Ends a forgotten row inside the heartbeat's write. */
  endForgotten(tx: BoardTx, run: Run): void;
  /** After every beat (whether it wrote or not). */
  afterBeat(): void;
}

/** What the row of a run whose agent started records of it. */
export type RunStart = Required<Pick<Run, 'pid' | 'startedAt' | 'logFile' | 'worktree'>> & Pick<Run, 'processStart'>;

export class RunHeartbeat implements Disposable {
  private timer: NodeJS.Timeout | undefined;
  private beating = false;
  private disposed = false;

  constructor(private readonly deps: HeartbeatDeps) {
    this.timer = setInterval(() => void this.beat(), deps.intervalMs);
    this.timer.unref();
  }

  /** One batched write for every live run of this owner. */
  async beat(): Promise<void> {
    if (this.beating || this.disposed) return;
    const { board, clock } = this.deps;
    const tracked = this.deps.tracked();
    const forgotten = this.forgotten(board, tracked);
    if (tracked.size > 0 || forgotten.length > 0) {
      this.beating = true;
      try {
        const now = clock.now();
        await board.write((tx) => {
          for (const id of tracked) {
            const run = tx.getRun(id);
            if (!run || !isLive(run)) continue;
            const lastOutputAt = this.deps.lastOutputAt(id);
            const newer = lastOutputAt !== undefined && lastOutputAt > (run.lastOutputAt ?? 0);
            // Without its pid nobody but this owner could ever find the agent again.
            const start = run.pid === undefined ? this.deps.unsavedStart(id) : undefined;
            tx.updateRun(id, { heartbeatAt: now, ...(newer ? { lastOutputAt } : {}), ...(start ? { ...start, status: 'running' as const } : {}) });
          }
          // Checked again inside the write: it is what acts.
          for (const run of this.forgotten(tx, this.deps.tracked())) this.deps.endForgotten(tx, run);
        });
      } catch (err) {
        this.deps.log.warn(`Could not write the runs' heartbeat: ${errorMessage(err)}`);
      } finally {
        this.beating = false;
      }
    }
    if (!this.disposed) this.deps.afterBeat();
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private forgotten(reader: Pick<Board, 'listRuns' | 'ownerId'> | BoardTx, tracked: ReadonlySet<string>): Run[] {
    const now = this.deps.clock.now();
    const owner = this.deps.board.ownerId;
    return reader
      .listRuns({ status: ['queued', 'running'] })
      .filter((r) => r.owner === owner && !tracked.has(r.id) && now - r.heartbeatAt > this.deps.forgetAfterMs);
  }
}
