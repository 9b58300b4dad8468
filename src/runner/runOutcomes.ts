/**
 * How runs end, written to the board: one compare-and-set write per ending, a message in the
 * ticket's run thread (with the tail of a failed attempt's log), and the ticket moved on when a
 * stage succeeded. A write that fails for a passing reason (disk full, the board locked for long)
 * is tried again, so an agent that finished is never recorded as lost for a hiccup.
 *
 * Whoever decides first wins: the agent's `done`, Cancel in another window, the PM. The one
 * exception is a stop that came after the process had already exited by itself: then its exit
 * result stands.
 */
import { formatDuration } from '../domain/duration';
import { errorMessage, FactoryError } from '../domain/errors';
import type { Logger } from '../domain/logger';
import type { Clock } from '../domain/clock';
import { isLive, type Run, type RunStatus } from '../domain/run';
import { nextStageIn } from '../domain/pipeline';
import { isStatus, type Status } from '../domain/status';
import type { Severity } from '../domain/ticket';
import type { Board, BoardTx } from '../store/api';
import { ensureRunThread } from './threads';

export type StopStatus = 'cancelled' | 'timed_out' | 'failed';

/** Why the runner stops a run, and what goes on record. */
export interface StopReason {
  status: StopStatus;
  note: string;
  /** A bug filed on the ticket in the same write (a worktree that vanished under the agent). */
  bug?: { title: string; description: string; severity: Severity } | undefined;
}

export interface ExitResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error | undefined;
  /** When the process exited (this machine's clock). */
  at?: number | undefined;
}

export interface RunEnded {
  run: Run;
  /** The stage the ticket moved to because this run succeeded, if it did. */
  advancedTo?: Status | undefined;
}

/** Statuses another process writes when it stops a run; a process that had exited before wins. */
const STOPPED_ELSEWHERE: readonly RunStatus[] = ['cancelled', 'timed_out'];
const RETRY_DELAYS_MS = [250, 500, 1000, 2000, 4000, 8000, 10_000, 10_000];
const FINAL_REASONS = new Set(['cancelled', 'invalid-input', 'not-found', 'illegal-transition', 'status-conflict', 'untrusted']);

export class RunOutcomes {
  constructor(
    private readonly board: Board,
    private readonly clock: Clock,
    private readonly log: Logger,
    /** The stages in use (`agentFactory.pipeline`), read when a run ends. */
    private readonly pipeline: () => readonly Status[],
  ) {}

  /**
   * Records how a process run ended: `stop` when this runner stopped it before it exited. A stop
   * another process wrote after the exit (by the clock of this machine) does not change it.
   */
  async recordProcessEnd(runId: string, result: ExitResult, end: { stop?: StopReason | undefined; tail: string[] }): Promise<RunEnded | undefined> {
    const outcome = await this.write(`the end of run ${runId}`, (tx) => this.processEnd(tx, runId, result, end.stop, end.tail));
    if (outcome) {
      const { run, advancedTo } = outcome;
      this.log.info(`${run.ticketId} ${run.stage}: run ${run.id} ${run.status}${advancedTo ? `, ticket moved to ${advancedTo}` : ''}`);
    }
    return outcome;
  }

  /** Ends a run in one of `from` as stopped (a queued run, or one whose owner is elsewhere). */
  markStopped(runId: string, from: readonly RunStatus[], reason: StopReason): Promise<Run | undefined> {
    return this.write(`that run ${runId} stopped`, (tx) => {
      const run = tx.getRun(runId);
      if (!run) throw new FactoryError('not-found', `run ${runId} does not exist`);
      if (!from.includes(run.status)) return run;
      return this.endAs(tx, run, reason, undefined, []);
    });
  }

  /** The terminal of a terminal run closed, or the run was stopped: it ends unless it already did. */
  endTerminal(runId: string, reason: StopReason, exitCode?: number): Promise<Run | undefined> {
    return this.write(`the end of terminal run ${runId}`, (tx) => {
      const row = tx.getRun(runId);
      if (!row) return undefined;
      if (!isLive(row)) return row;
      return this.endAs(tx, row, reason, exitCode, []);
    });
  }

  /**
   * A start that could not go on after its run was recorded (worktree, prompt file, spawn,
   * terminal): the run fails with the reason, so no queued or running row is left behind, and a
   * ticket this start moved to IN_DEV goes back to READY.
   */
  async startFailed(run: Run, why: string, undoMove: boolean): Promise<void> {
    await this.write(`that run ${run.id} did not start`, (tx) => {
      const row = tx.getRun(run.id);
      if (!row || !isLive(row)) return;
      const failed = tx.updateRun(run.id, { status: 'failed', endedAt: this.clock.now(), note: why });
      this.post(tx, failed, `${run.stage} run ${run.id} (${run.agent}, attempt ${run.attempt}) did not start: ${why}.`);
      if (undoMove && tx.getTicket(run.ticketId)?.status === 'IN_DEV') {
        tx.transition(run.ticketId, 'IN_DEV', 'READY', 'runner', `Start undone: ${why}`);
      }
    }).catch((err: unknown) => this.log.error(`Could not record that run ${run.id} did not start: ${errorMessage(err)}`));
  }

  /**
   * A live row of this owner that it no longer works on (its outcome could not be written, or it
   * was recorded and never handed over): nobody else may call it lost while this owner lives.
   */
  endForgotten(tx: BoardTx, run: Run): Run {
    const lastSeen = Math.max(run.heartbeatAt, run.lastOutputAt ?? 0, run.startedAt);
    const ended = tx.updateRun(run.id, { status: 'lost', endedAt: Math.min(this.clock.now(), lastSeen), note: 'Lost: its owner no longer works on it and recorded no outcome' });
    this.postEnd(tx, ended, 'was lost: its owner no longer works on it and recorded no outcome.');
    return ended;
  }

  private processEnd(tx: BoardTx, runId: string, result: ExitResult, stop: StopReason | undefined, tail: string[]): RunEnded | undefined {
    const run = tx.getRun(runId);
    if (!run) return undefined;
    const now = this.clock.now();
    const exitCode = result.code ?? undefined;
    if (!isLive(run)) {
      const stoppedAfterExit = result.error === undefined && result.at !== undefined && STOPPED_ELSEWHERE.includes(run.status) && (run.endedAt ?? now) > result.at;
      if (!stoppedAfterExit) {
        // Someone else decided first (the agent's `done`, another window, the PM).
        const updated = tx.updateRun(run.id, { exitCode: run.exitCode ?? exitCode, endedAt: run.endedAt ?? now });
        return { run: updated, advancedTo: advancedBy(tx, updated, this.pipeline()) };
      }
    }
    if (stop) return { run: this.endAs(tx, run, stop, exitCode, tail) };
    if (result.error) {
      const note = `could not run the agent: ${result.error.message}`;
      const updated = tx.updateRun(run.id, { status: 'failed', endedAt: now, note });
      this.postEnd(tx, updated, `failed: ${note}.`, tail);
      return { run: updated };
    }
    if (result.code === 0) return this.succeed(tx, run, now);
    const how = result.signal ? `was killed by ${result.signal}` : `exited with code ${result.code ?? '?'}`;
    const updated = tx.updateRun(run.id, { status: 'failed', exitCode, endedAt: now, note: `the agent ${how}` });
    this.postEnd(tx, updated, `failed: the agent ${how}. The ticket stays in ${run.stage}.`, tail);
    return { run: updated };
  }

  private endAs(tx: BoardTx, run: Run, reason: StopReason, exitCode: number | undefined, tail: string[]): Run {
    const updated = tx.updateRun(run.id, { status: reason.status, endedAt: this.clock.now(), exitCode, note: reason.note });
    if (reason.bug) tx.addBug({ ticketId: run.ticketId, ...reason.bug, foundBy: 'runner' });
    this.postEnd(tx, updated, `${describeStop(reason.status)}: ${reason.note}.`, tail);
    return updated;
  }

  private succeed(tx: BoardTx, run: Run, now: number): RunEnded {
    const ticket = tx.getTicket(run.ticketId);
    const next = isStatus(run.stage) ? nextStageIn(this.pipeline(), run.stage) : undefined;
    let note: string;
    let advancedTo: Status | undefined;
    if (!ticket) {
      note = 'the agent exited 0, but the ticket no longer exists';
    } else if (ticket.status !== run.stage || next === undefined || !isStatus(run.stage)) {
      note = `the agent exited 0, but ${ticket.id} is ${ticket.status} now, so it was left there`;
    } else {
      try {
        tx.transition(ticket.id, run.stage, next, 'runner', `${run.stage} run ${run.id} (${run.agent}) exited 0`);
        advancedTo = next;
        note = `the agent exited 0; ticket moved to ${next}`;
      } catch (err) {
        if (!(err instanceof FactoryError)) throw err;
        note = `the agent exited 0, but the ticket could not move on: ${err.message}`;
      }
    }
    const updated = tx.updateRun(run.id, { status: 'succeeded', exitCode: 0, endedAt: now, note });
    this.postEnd(tx, updated, `succeeded: ${note}.`);
    return { run: updated, advancedTo };
  }

  /** One message per ended run in the ticket's run thread; a failure carries the log's tail. */
  private postEnd(tx: BoardTx, run: Run, what: string, tail: string[] = []): void {
    const took = run.endedAt !== undefined ? ` after ${formatDuration(run.endedAt - run.startedAt)}` : '';
    let body = `${run.stage} run ${run.id} (${run.agent}, attempt ${run.attempt})${took} ${what}`;
    if (tail.length > 0) body += `\n\nLast ${tail.length} lines of its output:\n\n${tail.join('\n')}`;
    this.post(tx, run, body);
  }

  private post(tx: BoardTx, run: Run, body: string): void {
    const thread = ensureRunThread(tx, run.ticketId);
    tx.addMessage({
      conversationId: thread.id,
      author: 'runner',
      kind: 'system',
      body,
      metadata: { runId: run.id, stage: run.stage, status: run.status, exitCode: run.exitCode ?? null, attempt: run.attempt },
    });
  }

  /** A board write, tried again after failures that pass (a full disk, a long-held lock). */
  private async write<T>(what: string, fn: (tx: BoardTx) => T): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.board.write(fn);
      } catch (err) {
        const delay = RETRY_DELAYS_MS[attempt];
        if (delay === undefined || (err instanceof FactoryError && FINAL_REASONS.has(err.reason))) throw err;
        this.log.warn(`Could not record ${what} (${errorMessage(err)}); trying again in ${delay} ms`);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }
}

/** The stage a succeeded run moved its ticket to in `pipeline`, when the ticket is still there. */
export function advancedBy(reader: Pick<BoardTx, 'getTicket'>, run: Run, pipeline: readonly Status[]): Status | undefined {
  if (run.status !== 'succeeded' || !isStatus(run.stage)) return undefined;
  const next = nextStageIn(pipeline, run.stage);
  return next !== undefined && reader.getTicket(run.ticketId)?.status === next ? next : undefined;
}

export function describeStop(status: StopStatus): string {
  return status === 'cancelled' ? 'was cancelled' : status === 'timed_out' ? 'timed out' : 'was stopped';
}
