/**
 * Runs coding agents for the runs this process owns. It ties together the queue (a FIFO under the
 * parallel limit), one supervised process per run, the outcome written when it ends, and the
 * owner's heartbeat; and it watches the board for what ends a run from elsewhere.
 *
 * Other processes end runs by writing their status (the CLI's `done`, Cancel in another window,
 * the PM of the window holding the lease): this manager notices on the next board change or
 * heartbeat and stops the process, and their decision stands over the exit code. A ticket that
 * leaves the run's stage (moved, blocked, deleted) stops the run too, and so does a worktree that
 * disappears under its agent: no agent goes on working for a ticket that moved or in a folder that
 * is gone.
 */
import { stat } from 'node:fs/promises';
import * as path from 'node:path';
import { systemClock, type Clock } from '../domain/clock';
import { errorMessage, FactoryError } from '../domain/errors';
import { Emitter, type Disposable } from '../domain/event';
import { silentLogger, type Logger } from '../domain/logger';
import { PIPELINE_ENV, pipelineToEnv, STAGES } from '../domain/pipeline';
import { heartbeatIntervalFor, isLive, type Run } from '../domain/run';
import type { Status } from '../domain/status';
import { samePath } from '../git/paths';
import { worktreeGitDirs } from '../git/worktreeGitDirs';
import { openOutputPipe } from '../process/outputPipe';
import { isProcessAlive } from '../process/processTree';
import type { Board, StoreChange } from '../store/api';
import { expandArgs, expandEnv, usesGitDirs, type AgentCommand, type PlaceholderValues } from './agentCommand';
import { writeCliShim, type CliLauncher } from './cliShim';
import { SupervisedProcess } from './processSupervisor';
import { RunHeartbeat, type RunStart } from './runHeartbeat';
import type { ExitJudge } from './exitJudgement';
import { ensureRunDir, DEFAULT_MAX_LOG_BYTES, readTail, runDir, runLogFile } from './runFiles';
import { advancedBy, RunOutcomes, type ExitResult, type RunEnded, type StopReason, type StopStatus } from './runOutcomes';
import { DEFAULT_MAX_PARALLEL, RunQueue, type LaunchRequest } from './runQueue';
import { WorktreeWatch } from './worktreeWatch';

export { DEFAULT_MAX_PARALLEL, type LaunchRequest } from './runQueue';
export type { RunEnded, StopStatus } from './runOutcomes';

export const DEFAULT_STOP_GRACE_MS = 10_000;
/** The default silence after which other machines call an owner gone (the lease timeout). */
export const DEFAULT_HEARTBEAT_TIMEOUT_MS = 30_000;
export const LOG_TAIL_LINES = 40;

export interface RunManagerOptions {
  board: Board;
  clock?: Clock;
  log?: Logger;
  maxParallel?: number;
  /** Between SIGTERM and SIGKILL. */
  stopGraceMs?: number;
  /** Silence after which others call this owner gone; the heartbeat runs at a third of it. */
  heartbeatTimeoutMs?: number;
  /** How often the owner's heartbeat and the last-output time are written (batched). */
  heartbeatIntervalMs?: number;
  /** How long an agent that reported `done` through the CLI may take to exit by itself. */
  doneGraceMs?: number;
  /** The cap on each run's log (first and last halves kept). */
  maxLogBytes?: number;
  /** The environment agents inherit; defaults to this process's. */
  baseEnv?: NodeJS.ProcessEnv;
  /** Puts `agent-factory` on the agents' PATH. */
  cli?: CliLauncher;
  /** Reads each process run's output as it streams (tokens, tool calls, requests for a person). */
  observeOutput?: RunOutputObserverFactory;
  /** The stages in use (`agentFactory.pipeline`), read when a run ends; default every stage. */
  pipeline?: () => readonly Status[];
  /** Judges an exit 0 of a run that reported no verdict; without it exit 0 finishes the stage. */
  judgeExit?: ExitJudge;
}

/**
 * Sees one run's output lines as they come; `end` runs once the process has exited. The agent's
 * stdout and stderr share its log, so every line arrives as `stdout`.
 */
export interface RunOutputObserver {
  line(stream: 'stdout' | 'stderr', line: string): void;
  end(): Promise<void>;
}

export type RunOutputObserverFactory = (run: Run, command: AgentCommand) => RunOutputObserver | undefined;

/** One line of an agent's output (stdout and stderr, as they went into its log). */
export interface RunOutputLine {
  runId: string;
  ticketId: string;
  line: string;
}

interface ActiveRun {
  runId: string;
  ticketId: string;
  stage: string;
  kind: 'process' | 'terminal';
  proc?: SupervisedProcess | undefined;
  /** Set once, before the process exited: why this manager is stopping the run. */
  stop?: StopReason | undefined;
  watch?: WorktreeWatch | undefined;
  doneTimer?: NodeJS.Timeout | undefined;
  /** How the agent started, while the write that records it has not succeeded. */
  unsavedStart?: RunStart | undefined;
  /** Resolves once the outcome is written. */
  finished: Promise<void>;
  markFinished: () => void;
}

export class RunManager implements Disposable {
  private readonly board: Board;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly stopGraceMs: number;
  private readonly doneGraceMs: number;
  private readonly maxLogBytes: number;
  private readonly baseEnv: NodeJS.ProcessEnv;
  private readonly cli: CliLauncher | undefined;
  private readonly observeOutput: RunOutputObserverFactory | undefined;
  private readonly pipeline: () => readonly Status[];
  private readonly judgeExit: ExitJudge | undefined;
  private cliShimDir: Promise<string | undefined> | undefined;

  private readonly queue: RunQueue;
  private readonly outcomes: RunOutcomes;
  private readonly heartbeat: RunHeartbeat;
  /** Recorded runs still being prepared (worktree, prompt) before launch: heartbeated already. */
  private readonly preparing = new Set<string>();
  private readonly active = new Map<string, ActiveRun>();
  private readonly pending = new Set<Promise<unknown>>();
  private closed = false;
  private shuttingDown: Promise<void> | undefined;
  private readonly boardSubscription: Disposable;

  private readonly changed = new Emitter<void>();
  private readonly output = new Emitter<RunOutputLine>();
  private readonly ended = new Emitter<RunEnded>();
  /** The queue or the set of active runs changed. */
  readonly onDidChange = this.changed.event;
  /** One line of an agent's output (for an output channel). */
  readonly onDidOutput = this.output.event;
  /** A run of this manager ended, whoever ended it. */
  readonly onDidEndRun = this.ended.event;

  constructor(options: RunManagerOptions) {
    this.board = options.board;
    this.clock = options.clock ?? systemClock;
    this.log = options.log ?? silentLogger;
    this.queue = new RunQueue(options.maxParallel ?? DEFAULT_MAX_PARALLEL);
    this.stopGraceMs = options.stopGraceMs ?? DEFAULT_STOP_GRACE_MS;
    this.doneGraceMs = options.doneGraceMs ?? this.stopGraceMs;
    this.maxLogBytes = options.maxLogBytes ?? DEFAULT_MAX_LOG_BYTES;
    this.baseEnv = options.baseEnv ?? process.env;
    this.cli = options.cli;
    this.observeOutput = options.observeOutput;
    this.pipeline = options.pipeline ?? (() => STAGES);
    this.judgeExit = options.judgeExit;
    this.outcomes = new RunOutcomes(this.board, this.clock, this.log, this.pipeline);
    const timeoutMs = options.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS;
    this.heartbeat = new RunHeartbeat({
      board: this.board,
      clock: this.clock,
      log: this.log,
      intervalMs: options.heartbeatIntervalMs ?? heartbeatIntervalFor(timeoutMs),
      forgetAfterMs: timeoutMs,
      tracked: () => this.tracked(),
      lastOutputAt: (id) => this.active.get(id)?.proc?.lastOutputAt,
      unsavedStart: (id) => this.active.get(id)?.unsavedStart,
      endForgotten: (tx, run) => this.outcomes.endForgotten(tx, run),
      afterBeat: () => this.afterBeat(),
    });
    this.boardSubscription = this.board.onDidChange((change) => this.checkExternalChanges(change));
  }

  // ---- observation --------------------------------------------------------------------------

  /** 1-based place of a queued run in this manager's queue, or undefined when not queued. */
  queuePosition(runId: string): number | undefined {
    return this.queue.position(runId);
  }

  queuedRunIds(): string[] {
    return this.queue.runIds();
  }

  /** Runs with a live process or terminal in this manager. */
  activeRunIds(): string[] {
    return [...this.active.keys()];
  }

  /** Agent processes currently counted against the parallel limit. */
  get runningCount(): number {
    return [...this.active.values()].filter((a) => a.kind === 'process').length;
  }

  get parallelLimit(): number {
    return this.queue.parallelLimit;
  }

  setMaxParallel(limit: number): void {
    this.queue.setParallelLimit(limit);
    this.pump();
  }

  /** This manager works on the run: queued here, being prepared, or supervising its process. */
  owns(runId: string): boolean {
    return this.active.has(runId) || this.preparing.has(runId) || this.queue.position(runId) !== undefined;
  }

  /**
   * Keeps a freshly recorded run's heartbeat while its worktree and prompt are prepared (a large
   * repository's `git worktree add` can outlast the PM's heartbeat timeout). `launch` or
   * `attachTerminalRun` take over; `release` gives it up when preparing failed.
   */
  reserve(runId: string): void {
    this.assertOpen();
    this.preparing.add(runId);
  }

  release(runId: string): void {
    this.preparing.delete(runId);
  }

  /** Resolves when the run's outcome is written (immediately when this manager does not run it). */
  async whenEnded(runId: string): Promise<void> {
    const entry = this.active.get(runId);
    if (entry) {
      await entry.finished;
      return;
    }
    if (this.queue.position(runId) === undefined) return;
    await new Promise<void>((resolve) => {
      const sub = this.ended.event((e) => {
        if (e.run.id !== runId) return;
        sub.dispose();
        resolve();
      });
    });
  }

  /**
   * The environment of an agent (or of the terminal a person works in): the run's id, the board
   * folder and the ticket in AGENT_FACTORY_* variables, and `agent-factory` on the PATH, over the
   * agent command's own variables (`overlay`).
   */
  async agentEnvironment(run: Pick<Run, 'id' | 'ticketId' | 'stage'>, promptFile?: string, overlay: Record<string, string> = {}): Promise<NodeJS.ProcessEnv> {
    const env: NodeJS.ProcessEnv = { ...this.baseEnv, ...overlay };
    // Set inside the extension host; an Electron-based agent would start as plain node with it.
    delete env.ELECTRON_RUN_AS_NODE;
    env.AGENT_FACTORY_RUN_ID = run.id;
    env.AGENT_FACTORY_BOARD = this.board.dir;
    env.AGENT_FACTORY_TICKET = run.ticketId;
    env.AGENT_FACTORY_STAGE = run.stage;
    env[PIPELINE_ENV] = pipelineToEnv(this.pipeline());
    if (promptFile !== undefined) env.AGENT_FACTORY_PROMPT_FILE = promptFile;
    if (this.cli) {
      env.AGENT_FACTORY_CLI = this.cli.script;
      const shimDir = await this.ensureCliShim();
      if (shimDir !== undefined) {
        const pathKey = Object.keys(env).find((k) => k.toUpperCase() === 'PATH') ?? 'PATH';
        const current = env[pathKey];
        env[pathKey] = current ? `${shimDir}${path.delimiter}${current}` : shimDir;
      }
    }
    return env;
  }

  // ---- starting ------------------------------------------------------------------------------

  /**
   * Queues a run recorded as `queued` by the caller; it starts as soon as the parallel limit
   * allows. Returns its queue position (undefined when it started at once).
   */
  launch(request: LaunchRequest): number | undefined {
    this.assertOpen();
    const run = this.board.getRun(request.runId);
    if (!run) throw new FactoryError('not-found', `run ${request.runId} does not exist`);
    if (run.status !== 'queued') throw new FactoryError('runner', `run ${run.id} is ${run.status}, not queued`);
    if (this.active.has(run.id) || this.queue.position(run.id) !== undefined) throw new FactoryError('runner', `run ${run.id} is already launched`);
    this.preparing.delete(run.id);
    this.queue.push(request);
    this.pump();
    this.changed.fire();
    return this.queue.position(run.id);
  }

  /**
   * Takes over a run a person works in an integrated terminal: marks it running and keeps its
   * heartbeat while the terminal lives. End it with `endTerminalRun` when the terminal closes.
   */
  async attachTerminalRun(runId: string): Promise<Run> {
    this.assertOpen();
    const entry = newEntry(runId, 'terminal');
    const run = await this.board.write((tx) => {
      const row = tx.getRun(runId);
      if (!row) throw new FactoryError('not-found', `run ${runId} does not exist`);
      if (!isLive(row)) throw new FactoryError('runner', `run ${runId} is ${row.status}`);
      return tx.updateRun(runId, { status: 'running', heartbeatAt: this.clock.now(), owner: this.board.ownerId });
    });
    entry.ticketId = run.ticketId;
    entry.stage = run.stage;
    this.preparing.delete(runId);
    this.active.set(runId, entry);
    this.changed.fire();
    return run;
  }

  /** The terminal of a terminal run closed: the run ends (`cancelled` unless it already ended). */
  async endTerminalRun(runId: string, exitCode?: number): Promise<Run | undefined> {
    const entry = this.active.get(runId);
    if (entry?.kind !== 'terminal') return this.board.getRun(runId);
    return this.finishTerminal(entry, { status: 'cancelled', note: 'the terminal was closed' }, exitCode);
  }

  /**
   * A start that could not go on after its run was recorded (worktree, prompt file, terminal): the
   * run is failed with `why` and leaves this manager; `undoMove` sends a ticket the start moved to
   * IN_DEV back to READY.
   */
  async abandonStart(run: Run, why: string, undoMove: boolean): Promise<void> {
    this.preparing.delete(run.id);
    this.queue.remove(run.id);
    const entry = this.active.get(run.id);
    if (entry?.kind === 'terminal') this.drop(entry);
    await this.outcomes.startFailed(run, why, undoMove);
    this.changed.fire();
  }

  private pump(): void {
    if (this.closed) return;
    for (let request = this.queue.next(this.runningCount); request; request = this.queue.next(this.runningCount)) {
      const entry = newEntry(request.runId, 'process');
      this.active.set(request.runId, entry);
      this.track(this.runProcess(entry, request));
      this.changed.fire();
    }
  }

  private async runProcess(entry: ActiveRun, request: LaunchRequest): Promise<void> {
    try {
      const run = this.board.getRun(request.runId);
      if (!run || run.status !== 'queued') return;
      entry.ticketId = run.ticketId;
      entry.stage = run.stage;
      const result = await this.supervise(entry, run, request);
      const tail = result.error !== undefined || result.code !== 0 || entry.stop !== undefined ? await readTail(runLogFile(this.board.dir, run.id), LOG_TAIL_LINES) : [];
      await this.recordEnd(entry, result, tail);
    } catch (err) {
      this.log.error(`Run ${entry.runId} failed inside the runner: ${errorMessage(err)}`);
      await this.recordEnd(entry, { code: null, signal: null, error: err instanceof Error ? err : new Error(String(err)) }, []);
    } finally {
      this.drop(entry);
    }
  }

  /** Spawns the agent and resolves with how it ended (or why it never started). */
  private async supervise(entry: ActiveRun, run: Run, request: LaunchRequest): Promise<ExitResult> {
    const refused = await this.refusal(request.worktree);
    if (refused) return { code: null, signal: null, error: new Error(refused) };
    await ensureRunDir(this.board.dir, run.id);
    let gitDirs = { gitDir: '', gitCommonDir: '' };
    try {
      if (usesGitDirs(request.command)) gitDirs = await worktreeGitDirs(request.worktree);
    } catch (err) {
      return { code: null, signal: null, error: new Error(`could not find the git folders of ${request.worktree}: ${errorMessage(err)}`) };
    }
    const values: PlaceholderValues = {
      ticketId: run.ticketId,
      title: request.title,
      promptFile: request.promptFile,
      worktree: request.worktree,
      runId: run.id,
      stage: run.stage,
      boardDir: this.board.dir,
      ...gitDirs,
    };
    const args = expandArgs(request.command, values);
    const env = await this.agentEnvironment(run, request.promptFile, expandEnv(request.command, values));
    // Cancelled while the log folder was being prepared.
    if (entry.stop) return { code: null, signal: null };

    const observer = this.observeOutput?.(run, request.command);
    const pipe = await openOutputPipe(runDir(this.board.dir, run.id)).catch((err: unknown) => {
      this.log.warn(`Run ${run.id}: no pipe for its output (${errorMessage(err)}); it goes to the log writer through a socket`);
      return undefined;
    });
    let proc: SupervisedProcess;
    try {
      proc = new SupervisedProcess({
        program: request.command.program,
        args,
        cwd: request.worktree,
        env,
        logFile: runLogFile(this.board.dir, run.id),
        maxLogBytes: this.maxLogBytes,
        clock: this.clock,
        log: this.log,
        label: `run ${run.id}`,
        onLine: (line) => {
          observer?.line('stdout', line);
          this.output.fire({ runId: entry.runId, ticketId: entry.ticketId, line });
        },
      }, pipe);
    } catch (err) {
      await this.endObserver(run, observer);
      return { code: null, signal: null, error: err instanceof Error ? err : new Error(String(err)) };
    }
    entry.proc = proc;
    if (proc.pid !== undefined) {
      this.log.info(`${run.ticketId} ${run.stage}: started ${request.command.program} (run ${run.id}, pid ${proc.pid})`);
      await this.recordStarted(entry, run, proc, request.worktree);
      entry.watch = await WorktreeWatch.start(request.worktree, () => this.worktreeGone(entry, request.worktree));
      if (!entry.watch) this.worktreeGone(entry, request.worktree);
      this.changed.fire();
    }
    const result = await proc.ended;
    entry.watch?.dispose();
    await this.endObserver(run, observer);
    if (!proc.isStopping && (await proc.treeAlive())) {
      // The agent exited but left processes behind: they belong to the run and end with it.
      this.track(proc.stop(this.stopGraceMs));
    }
    return result;
  }

  private async endObserver(run: Run, observer: RunOutputObserver | undefined): Promise<void> {
    await observer?.end().catch((err: unknown) => this.log.warn(`Run ${run.id}: reading its output failed: ${errorMessage(err)}`));
  }

  /** Why an agent must not start in `worktree`, if it must not. */
  private async refusal(worktree: string): Promise<string | undefined> {
    const isFolder = await stat(worktree).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (!isFolder) return `the worktree ${worktree} does not exist`;
    if (samePath(worktree, this.board.repoRoot)) return `${worktree} is the main checkout, not a ticket's worktree; agents only work in worktrees`;
    return undefined;
  }

  private async recordStarted(entry: ActiveRun, run: Run, proc: SupervisedProcess, worktree: string): Promise<void> {
    if (proc.pid === undefined) return;
    const start: RunStart = { pid: proc.pid, processStart: await proc.startToken(), startedAt: this.clock.now(), logFile: runLogFile(this.board.dir, run.id), worktree };
    const stillWanted = await this.board
      .write((tx) => {
        const row = tx.getRun(run.id);
        if (!row || row.status !== 'queued') return false;
        tx.updateRun(run.id, { ...start, status: 'running', heartbeatAt: this.clock.now() });
        return true;
      })
      .catch((err: unknown) => {
        this.log.error(`Could not record that run ${run.id} started: ${errorMessage(err)}; the next heartbeat records it`);
        entry.unsavedStart = start;
        return true;
      });
    if (!stillWanted) this.stopFor(entry, { status: 'cancelled', note: 'the run was ended elsewhere before its agent started' });
    else if (entry.stop) this.stopFor(entry, entry.stop);
    else this.checkTicket(entry);
  }

  // ---- ending --------------------------------------------------------------------------------

  /**
   * Stops a run: a queued one leaves the queue; a running one's process tree gets SIGTERM, then
   * SIGKILL after the grace period, and the run is marked `status` once the process is gone. A run
   * whose process already exited by itself keeps its exit result. A run of another live process
   * is marked, and its owner stops the process when it sees the change. Resolves with the run as
   * recorded afterwards.
   */
  async stop(runId: string, status: StopStatus, note?: string): Promise<Run | undefined> {
    const why = note ?? (status === 'cancelled' ? 'cancelled by the user' : status === 'timed_out' ? 'stopped: it ran longer than allowed' : 'stopped');
    if (this.queue.remove(runId)) {
      const run = await this.outcomes.markStopped(runId, ['queued'], { status, note: why });
      this.changed.fire();
      if (run) this.ended.fire({ run });
      return run;
    }
    const entry = this.active.get(runId);
    if (entry?.kind === 'terminal') return this.finishTerminal(entry, { status, note: why });
    if (entry) {
      this.stopFor(entry, { status, note: why });
      await entry.finished;
      return this.board.getRun(runId);
    }
    // Not ours: another window (or a dead one) owns it.
    return this.outcomes.markStopped(runId, ['queued', 'running'], { status, note: why });
  }

  cancel(runId: string, note?: string): Promise<Run | undefined> {
    return this.stop(runId, 'cancelled', note);
  }

  /**
   * Stops a run's process for `reason`, unless its agent already exited by itself: then the exit
   * result stands (a cancel racing a natural exit loses).
   */
  private stopFor(entry: ActiveRun, reason: StopReason): void {
    const proc = entry.proc;
    if (proc && (proc.exited || (proc.pid !== undefined && !isProcessAlive(proc.pid)))) return;
    entry.stop ??= reason;
    // Not spawned yet: the spawn path sees `entry.stop` and ends the run itself.
    if (proc) this.track(proc.stop(this.stopGraceMs));
  }

  private async finishTerminal(entry: ActiveRun, reason: StopReason, exitCode?: number): Promise<Run | undefined> {
    let run: Run | undefined;
    try {
      run = await this.outcomes.endTerminal(entry.runId, reason, exitCode);
    } finally {
      this.drop(entry);
    }
    if (run) this.ended.fire({ run });
    return run;
  }

  private async recordEnd(entry: ActiveRun, result: ExitResult, tail: string[]): Promise<void> {
    const unfinished = await this.unfinished(entry, result);
    const outcome = await this.outcomes
      .recordProcessEnd(entry.runId, result, { stop: entry.stop, tail, unfinished })
      .catch((err: unknown) => {
        this.log.error(`Could not record the end of run ${entry.runId}: ${errorMessage(err)}`);
        return undefined;
      });
    if (outcome) this.ended.fire(outcome);
  }

  /** Why an exit 0 with no verdict recorded does not finish the stage; the write checks the run is still live. */
  private async unfinished(entry: ActiveRun, result: ExitResult): Promise<string | undefined> {
    const run = this.board.getRun(entry.runId);
    if (!this.judgeExit || result.code !== 0 || entry.stop || !run || !isLive(run)) return undefined;
    return this.judgeExit(run).catch((err: unknown) => `its exit could not be judged: ${errorMessage(err)}`);
  }

  private drop(entry: ActiveRun): void {
    if (entry.doneTimer) clearTimeout(entry.doneTimer);
    entry.watch?.dispose();
    if (this.active.get(entry.runId) === entry) {
      this.active.delete(entry.runId);
      this.changed.fire();
    }
    entry.markFinished();
    this.pump();
  }

  /**
   * Reacts to runs ended, tickets moved or deleted, by this or another process. A board change
   * says which tickets it touched (a run's write touches its ticket): a live run is looked at again
   * only when the change may be about it, not at every lease renewal or other ticket's write
   * (without a change, as after each heartbeat, every run is).
   */
  private checkExternalChanges(change?: StoreChange): void {
    if (this.closed || change?.noTickets) return;
    const touched = change !== undefined && change.ticketIds.length > 0 ? new Set(change.ticketIds) : undefined;
    for (const runId of this.queue.runIds()) {
      const run = this.board.getRun(runId);
      if (run?.status === 'queued') {
        const moved = this.leftStage(run);
        if (moved) this.track(this.stop(runId, 'cancelled', moved));
        continue;
      }
      this.queue.remove(runId);
      this.changed.fire();
      if (run) this.ended.fire({ run });
    }
    for (const entry of this.active.values()) if (!touched || touched.has(entry.ticketId)) this.checkEntry(entry);
  }

  private checkEntry(entry: ActiveRun): void {
    if (entry.stop || entry.proc?.exited) return;
    const run = this.board.getRun(entry.runId);
    if (run && isLive(run)) {
      if (entry.kind === 'process' && run.status === 'queued') return;
      this.checkTicket(entry, run);
      return;
    }
    if (entry.kind === 'terminal') {
      this.drop(entry);
      if (run) this.ended.fire({ run, advancedTo: advancedBy(this.board, run, this.pipeline()) });
      return;
    }
    const proc = entry.proc;
    if (!proc) return;
    if (run?.status === 'succeeded') {
      // The agent said `done`: give it time to exit by itself before stopping what is left.
      entry.doneTimer ??= setTimeout(() => this.track(proc.stop(this.stopGraceMs)), this.doneGraceMs);
      return;
    }
    // Its agent exited by itself just now: the exit is being recorded, nothing is left to stop.
    if (proc.pid !== undefined && !isProcessAlive(proc.pid)) return;
    this.log.info(`Run ${entry.runId} was ended elsewhere (${run?.status ?? 'deleted'}); stopping its agent`);
    this.track(proc.stop(this.stopGraceMs));
  }

  /** A live run whose ticket left its stage is stopped: no agent works for a ticket that moved. */
  private checkTicket(entry: ActiveRun, run = this.board.getRun(entry.runId)): void {
    if (!run) return;
    const moved = this.leftStage(run);
    if (!moved) return;
    this.log.info(`Run ${run.id}: ${moved}; stopping its agent`);
    if (entry.kind === 'terminal') this.track(this.finishTerminal(entry, { status: 'cancelled', note: moved }));
    else this.stopFor(entry, { status: 'cancelled', note: moved });
  }

  /** Why the run's ticket is no longer in the run's stage, or undefined while it is. */
  private leftStage(run: Run): string | undefined {
    const ticket = this.board.getTicket(run.ticketId);
    if (!ticket) return `${run.ticketId} was deleted while its agent worked`;
    if (ticket.status === run.stage) return undefined;
    const by = this.board.history(ticket.id).at(-1)?.by;
    return `${ticket.id} moved to ${ticket.status}${by ? ` (by ${by})` : ''} while its agent worked on ${run.stage}`;
  }

  private worktreeGone(entry: ActiveRun, worktree: string): void {
    if (entry.stop || entry.proc?.exited) return;
    this.log.warn(`Run ${entry.runId}: its worktree ${worktree} disappeared; stopping its agent`);
    this.stopFor(entry, {
      status: 'failed',
      note: 'the worktree disappeared while the agent ran',
      bug: {
        title: 'Worktree disappeared while the agent ran',
        description: `The folder ${worktree} went away (deleted or replaced) while run ${entry.runId} worked in it, so the agent was stopped. Uncommitted changes in it are lost unless they were saved elsewhere; the Worktree agent recreates the worktree from its branch, and the ticket can be started again.`,
        severity: 'high',
      },
    });
  }

  private afterBeat(): void {
    for (const entry of this.active.values()) entry.watch?.check();
    this.checkExternalChanges();
  }

  private tracked(): ReadonlySet<string> {
    return new Set([...this.active.keys(), ...this.queue.runIds(), ...this.preparing]);
  }

  /** One batched heartbeat write now (the timer does it every interval). */
  beat(): Promise<void> {
    return this.heartbeat.beat();
  }

  // ---- lifetime ------------------------------------------------------------------------------

  /**
   * Ends every run of this manager (queued and terminal runs too) as `cancelled`, stops every
   * process tree, waits for the outcomes to be written. For deactivation: nothing outlives the
   * owner. Idempotent: later calls share the first.
   */
  shutdown(note = 'the editor window closed', graceMs = Math.min(this.stopGraceMs, 3000)): Promise<void> {
    this.shuttingDown ??= this.doShutdown(note, graceMs);
    return this.shuttingDown;
  }

  private async doShutdown(note: string, graceMs: number): Promise<void> {
    const queued = [...this.queue.drain().map((r) => r.runId), ...this.preparing];
    this.preparing.clear();
    const entries = [...this.active.values()];
    this.closed = true;
    this.boardSubscription.dispose();
    const work: Promise<unknown>[] = [];
    for (const id of queued) work.push(this.outcomes.markStopped(id, ['queued'], { status: 'cancelled', note }).catch(() => undefined));
    for (const entry of entries) {
      if (entry.kind === 'terminal') {
        work.push(this.finishTerminal(entry, { status: 'cancelled', note }).catch(() => undefined));
        continue;
      }
      const proc = entry.proc;
      if (proc && !proc.exited && proc.pid !== undefined && isProcessAlive(proc.pid)) entry.stop ??= { status: 'cancelled', note };
      else if (!proc) entry.stop ??= { status: 'cancelled', note };
      work.push((proc ? proc.stop(graceMs) : Promise.resolve()).then(() => entry.finished));
    }
    await Promise.all(work);
    await Promise.allSettled([...this.pending]);
    this.heartbeat.dispose();
    this.changed.dispose();
    this.output.dispose();
    this.ended.dispose();
  }

  dispose(): void {
    void this.shutdown();
  }

  private async ensureCliShim(): Promise<string | undefined> {
    const cli = this.cli;
    if (!cli) return undefined;
    this.cliShimDir ??= writeCliShim(this.board.dir, cli).catch((err: unknown) => {
      this.log.warn(`Could not put agent-factory on the agents' PATH: ${errorMessage(err)}`);
      this.cliShimDir = undefined;
      return undefined;
    });
    return this.cliShimDir;
  }

  private track(promise: Promise<unknown>): void {
    const tracked = promise.catch((err: unknown) => this.log.error(`Runner: ${errorMessage(err)}`));
    this.pending.add(tracked);
    void tracked.finally(() => this.pending.delete(tracked));
  }

  private assertOpen(): void {
    if (this.closed) throw new FactoryError('runner', 'the run manager is shut down');
  }
}

function newEntry(runId: string, kind: ActiveRun['kind']): ActiveRun {
  let markFinished = (): void => {};
  const finished = new Promise<void>((resolve) => (markFinished = resolve));
  return { runId, ticketId: '', stage: '', kind, finished, markFinished };
}
