/**
 * The owner's heartbeat: one batched write, every interval, for every run this owner works on
 * (queued, being prepared, running): `heartbeatAt`, the agent's last output time, and how its
 * agent started when the write that recorded that failed (a full disk). Other
 * machines judge the owner by it. The same write ends rows of this owner it no longer works on
 * (their outcome could not be written): no one else may call them lost while the owner lives.
 *
 * `heartbeatAt` belongs to the owner alone: an agent's own CLI calls count as activity
 * (`lastOutputAt`), so an orphaned agent never keeps its owner looking alive.
 *
 * With nothing to heartbeat, a beat reads the board only while a forgotten row may turn up: a
 * row of this owner is recorded or changed in a write that touches a ticket, or leaves what the
 * owner works on; the first look after it is old enough settles it. A quiet window then reads
 * nothing every ten seconds, and looks anyway every few minutes.
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

/** With nothing tracked and nothing pending, the board is still looked at this often. */
export const QUIET_SWEEP_MS = 5 * 60_000;

export class RunHeartbeat implements Disposable {
  private timer: NodeJS.Timeout | undefined;
  private beating = false;
  private disposed = false;
  private readonly boardSubscription: Disposable;
  /** A look after this time finds every row that may be forgotten now. */
  private sweepAfter: number;
  private lastSweepAt = -Infinity;
  private trackedBefore = 0;

  constructor(private readonly deps: HeartbeatDeps) {
    // Rows this owner recorded before (a board opened again) are looked for once.
    this.sweepAfter = deps.clock.now() + deps.forgetAfterMs;
    this.boardSubscription = deps.board.onDidChange((change) => {
      // Leases, agent states and meta hold no run: a quiet board's writes pend nothing.
      if (!change.noTickets) this.pendSweep();
    });
    this.timer = setInterval(() => void this.beat(), deps.intervalMs);
    this.timer.unref();
  }

  /** One batched write for every live run of this owner. */
  async beat(): Promise<void> {
    if (this.beating || this.disposed) return;
    const { board, clock } = this.deps;
    const tracked = this.deps.tracked();
    // A run tracked at the last beat may have left without its outcome written.
    if (this.trackedBefore > 0) this.pendSweep();
    this.trackedBefore = tracked.size;
    const forgotten = this.sweepDue(tracked) ? this.forgotten(board, tracked) : [];
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
    this.boardSubscription.dispose();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** A row written or left now is forgotten, if at all, once its heartbeat is this old. */
  private pendSweep(): void {
    this.sweepAfter = Math.max(this.sweepAfter, this.deps.clock.now() + this.deps.forgetAfterMs);
  }

  private sweepDue(tracked: ReadonlySet<string>): boolean {
    const now = this.deps.clock.now();
    const due = tracked.size > 0 || this.lastSweepAt <= this.sweepAfter || now - this.lastSweepAt >= QUIET_SWEEP_MS;
    if (due) this.lastSweepAt = now;
    return due;
  }

  private forgotten(reader: Pick<Board, 'listRuns' | 'ownerId'> | BoardTx, tracked: ReadonlySet<string>): Run[] {
    const now = this.deps.clock.now();
    const owner = this.deps.board.ownerId;
    return reader
      .listRuns({ status: ['queued', 'running'] })
      .filter((r) => r.owner === owner && !tracked.has(r.id) && now - r.heartbeatAt > this.deps.forgetAfterMs);
  }
}
