/**
 * Runs coding agents for the runs this process owns: a FIFO queue under a parallel limit, one
 * process tree per run, output to the run's log file and to `onDidOutput`, the owner's heartbeat on
 * every live run, and the outcome written with compare-and-set when the process ends.
 *
 * Other processes end runs by writing their status (the CLI's `done`, Cancel in another window,
 * the PM of the window holding the lease): this manager notices on the next board change or
 * heartbeat and stops the process, and their decision stands over the exit code.
 *
 * `heartbeatAt` belongs to the owner alone: an agent's own CLI calls count as activity
 * (`lastOutputAt`), so an agent orphaned by a crashed host cannot keep the run looking alive, and
 * the PM finds it `lost`.
 */
import type { ChildProcess } from 'node:child_process';
import { stat } from 'node:fs/promises';
import * as path from 'node:path';
import type { Logger } from '../agents/agent';
import { silentLogger } from '../agents/agent';
import { formatDuration } from '../domain/duration';
import { systemClock, type Clock } from '../domain/clock';
import { errorMessage, FactoryError } from '../domain/errors';
import { Emitter, type Disposable } from '../domain/event';
import { isLive, type Run } from '../domain/run';
import { nextStageIn, STAGES } from '../domain/pipeline';
import { isStatus, type Status } from '../domain/status';
import type { Board, BoardTx } from '../store/api';
import { worktreeGitDirs } from '../git/worktreeGitDirs';
import { expandArgs, expandEnv, usesGitDirs, type AgentCommand, type PlaceholderValues } from './agentCommand';
import { writeCliShim, type CliLauncher } from './cliShim';
import { isProcessTreeAlive, signalProcessTree, spawnAgentProcess } from './processTree';
import { ensureRunDir, LineSplitter, readTail, RunLogWriter, runLogFile } from './runFiles';
import { ensureRunThread } from './threads';

export const DEFAULT_MAX_PARALLEL = 3;
/**
 * How often the owner writes `heartbeatAt` on its live runs. The PM calls a run lost when its
 * owner has been silent for its heartbeat timeout (30 s by default): keep this well below that.
 */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 10_000;
export const DEFAULT_STOP_GRACE_MS = 10_000;
export const LOG_TAIL_LINES = 40;

export type StopStatus = 'cancelled' | 'timed_out';

export interface RunManagerOptions {
  board: Board;
  clock?: Clock;
  log?: Logger;
  maxParallel?: number;
  /** Between SIGTERM and SIGKILL. */
  stopGraceMs?: number;
  /** How often the owner's heartbeat and the last-output time are written (batched). */
  heartbeatIntervalMs?: number;
  /** How long an agent that reported `done` through the CLI may take to exit by itself. */
  doneGraceMs?: number;
  /** The environment agents inherit; defaults to this process's. */
  baseEnv?: NodeJS.ProcessEnv;
  /** Puts `agent-factory` on the agents' PATH. */
  cli?: CliLauncher;
  /** Reads each process run's output as it streams (tokens, tool calls, requests for a person). */
  observeOutput?: RunOutputObserverFactory;
  /** The stages in use (`agentFactory.pipeline`), read when a run ends; default every stage. */
  pipeline?: () => readonly Status[];
}

/** Sees one run's output lines as they come; `end` runs once the process has exited. */
export interface RunOutputObserver {
  line(stream: 'stdout' | 'stderr', line: string): void;
  end(): Promise<void>;
}

export type RunOutputObserverFactory = (run: Run, command: AgentCommand) => RunOutputObserver | undefined;

/** What to start for a queued run the caller recorded. */
export interface LaunchRequest {
  runId: string;
  command: AgentCommand;
  title: string;
  promptFile: string;
  worktree: string;
}

export interface RunOutputLine {
  runId: string;
  ticketId: string;
  stream: 'stdout' | 'stderr';
  line: string;
}

export interface RunEnded {
  run: Run;
  /** The stage the ticket moved to because this run succeeded, if it did. */
  advancedTo?: Status | undefined;
}

interface ExitResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error | undefined;
}

interface ActiveRun {
  runId: string;
  ticketId: string;
  stage: string;
  kind: 'process' | 'terminal';
  pid?: number | undefined;
  child?: ChildProcess | undefined;
  exited: boolean;
  /** Set once: why this manager is stopping the run. */
  stop?: { status: StopStatus; note: string } | undefined;
  stopping?: Promise<void> | undefined;
  /** Resolves once the outcome is written. */
  finished: Promise<void>;
  markFinished: () => void;
  lastOutputAt?: number | undefined;
  doneTimer?: NodeJS.Timeout | undefined;
}

export class RunManager implements Disposable {
  private readonly board: Board;
  private readonly clock: Clock;
  private readonly log: Logger;
  private maxParallel: number;
  private readonly stopGraceMs: number;
  private readonly heartbeatIntervalMs: number;
  private readonly doneGraceMs: number;
  private readonly baseEnv: NodeJS.ProcessEnv;
  private readonly cli: CliLauncher | undefined;
  private readonly observeOutput: RunOutputObserverFactory | undefined;
  private readonly pipeline: () => readonly Status[];
  private cliShimDir: Promise<string | undefined> | undefined;

  private readonly queue: LaunchRequest[] = [];
  /** Recorded runs still being prepared (worktree, prompt) before launch: heartbeated already. */
  private readonly preparing = new Set<string>();
  private readonly active = new Map<string, ActiveRun>();
  private readonly pending = new Set<Promise<unknown>>();
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private beating = false;
  private closed = false;
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
    this.maxParallel = normalizeParallel(options.maxParallel ?? DEFAULT_MAX_PARALLEL);
    this.stopGraceMs = options.stopGraceMs ?? DEFAULT_STOP_GRACE_MS;
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
    this.doneGraceMs = options.doneGraceMs ?? this.stopGraceMs;
    this.baseEnv = options.baseEnv ?? process.env;
    this.cli = options.cli;
    this.observeOutput = options.observeOutput;
    this.pipeline = options.pipeline ?? (() => STAGES);
    this.boardSubscription = this.board.onDidChange(() => this.checkExternalChanges());
  }

  // ---- observation --------------------------------------------------------------------------

  /** 1-based place of a queued run in this manager's queue, or undefined when not queued. */
  queuePosition(runId: string): number | undefined {
    const i = this.queue.findIndex((r) => r.runId === runId);
    return i < 0 ? undefined : i + 1;
  }

  queuedRunIds(): string[] {
    return this.queue.map((r) => r.runId);
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
    return this.maxParallel;
  }

  setMaxParallel(limit: number): void {
    this.maxParallel = normalizeParallel(limit);
    this.pump();
  }

  owns(runId: string): boolean {
    return this.active.has(runId) || this.preparing.has(runId) || this.queuePosition(runId) !== undefined;
  }

  /**
   * Keeps a freshly recorded run's heartbeat while its worktree and prompt are prepared (a large
   * repository's `git worktree add` can outlast the PM's heartbeat timeout). `launch` or
   * `attachTerminalRun` take over; `release` gives it up when preparing failed.
   */
  reserve(runId: string): void {
    this.assertOpen();
    this.preparing.add(runId);
    this.ensureHeartbeat();
  }

  release(runId: string): void {
    this.preparing.delete(runId);
    this.stopHeartbeatIfIdle();
  }

  /** Resolves when the run's outcome is written (immediately when this manager does not run it). */
  async whenEnded(runId: string): Promise<void> {
    const entry = this.active.get(runId);
    if (entry) {
      await entry.finished;
      return;
    }
    if (this.queuePosition(runId) === undefined) return;
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
    if (this.active.has(run.id) || this.queuePosition(run.id) !== undefined) throw new FactoryError('runner', `run ${run.id} is already launched`);
    this.preparing.delete(run.id);
    this.queue.push(request);
    this.ensureHeartbeat();
    this.pump();
    this.changed.fire();
    return this.queuePosition(run.id);
  }

  /**
   * Takes over a run a person works in an integrated terminal: marks it running and keeps its
   * heartbeat while the terminal lives. End it with `endTerminalRun` when the terminal closes.
   */
  async attachTerminalRun(runId: string): Promise<Run> {
    this.assertOpen();
    const entry = this.newEntry(runId, 'terminal');
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
    this.ensureHeartbeat();
    this.changed.fire();
    return run;
  }

  /** The terminal of a terminal run closed: the run ends (`cancelled` unless it already ended). */
  async endTerminalRun(runId: string, exitCode?: number): Promise<Run | undefined> {
    const entry = this.active.get(runId);
    if (entry?.kind !== 'terminal') return this.board.getRun(runId);
    return this.finishTerminal(entry, { status: 'cancelled', note: 'the terminal was closed' }, exitCode);
  }

  private pump(): void {
    if (this.closed) return;
    while (this.runningCount < this.maxParallel && this.queue.length > 0) {
      const request = this.queue.shift();
      if (!request) break;
      const entry = this.newEntry(request.runId, 'process');
      this.active.set(request.runId, entry);
      this.track(this.runProcess(entry, request));
      this.changed.fire();
    }
  }

  private newEntry(runId: string, kind: ActiveRun['kind']): ActiveRun {
    let markFinished = (): void => {};
    const finished = new Promise<void>((resolve) => (markFinished = resolve));
    return { runId, ticketId: '', stage: '', kind, exited: false, finished, markFinished };
  }

  private async runProcess(entry: ActiveRun, request: LaunchRequest): Promise<void> {
    try {
      const run = this.board.getRun(request.runId);
      if (!run || run.status !== 'queued') {
        this.drop(entry);
        return;
      }
      entry.ticketId = run.ticketId;
      entry.stage = run.stage;
      await this.spawnAndWait(entry, run, request);
    } catch (err) {
      this.log.error(`Run ${entry.runId} failed inside the runner: ${errorMessage(err)}`);
      await this.writeOutcome(entry, { code: null, signal: null, error: err instanceof Error ? err : new Error(String(err)) }, []).catch(
        (e: unknown) => this.log.error(`Could not record the end of run ${entry.runId}: ${errorMessage(e)}`),
      );
    } finally {
      this.drop(entry);
    }
  }

  private async spawnAndWait(entry: ActiveRun, run: Run, request: LaunchRequest): Promise<void> {
    await ensureRunDir(this.board.dir, run.id);
    const logFile = runLogFile(this.board.dir, run.id);
    const logWriter = new RunLogWriter(logFile);
    const worktreeOk = await stat(request.worktree).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (!worktreeOk) {
      await logWriter.close();
      await this.writeOutcome(entry, { code: null, signal: null, error: new Error(`the worktree ${request.worktree} does not exist`) }, []);
      return;
    }
    let gitDirs = { gitDir: '', gitCommonDir: '' };
    try {
      if (usesGitDirs(request.command)) gitDirs = await worktreeGitDirs(request.worktree);
    } catch (err) {
      await logWriter.close();
      await this.writeOutcome(entry, { code: null, signal: null, error: new Error(`could not find the git folders of ${request.worktree}: ${errorMessage(err)}`) }, []);
      return;
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
    if (entry.stop) {
      // Cancelled while the log folder was being prepared.
      await logWriter.close();
      await this.writeOutcome(entry, { code: null, signal: null }, []);
      return;
    }

    let child: ChildProcess;
    try {
      child = spawnAgentProcess(request.command.program, args, { cwd: request.worktree, env });
    } catch (err) {
      await logWriter.close();
      await this.writeOutcome(entry, { code: null, signal: null, error: err instanceof Error ? err : new Error(String(err)) }, []);
      return;
    }
    entry.child = child;
    entry.pid = child.pid;
    const observer = this.observeOutput?.(run, request.command);
    const exit = new Promise<ExitResult>((resolve) => {
      child.once('error', (error) => resolve({ code: null, signal: null, error }));
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
    this.pipeOutput(entry, child, logWriter, observer);

    if (child.pid !== undefined) {
      this.log.info(`${run.ticketId} ${run.stage}: started ${request.command.program} (run ${run.id}, pid ${child.pid})`);
      const stillWanted = await this.board
        .write((tx) => {
          const row = tx.getRun(run.id);
          if (!row || row.status !== 'queued') return false;
          tx.updateRun(run.id, { status: 'running', pid: child.pid, startedAt: this.clock.now(), heartbeatAt: this.clock.now(), logFile, worktree: request.worktree });
          return true;
        })
        .catch((err: unknown) => {
          this.log.error(`Could not record that run ${run.id} started: ${errorMessage(err)}`);
          return true;
        });
      if (!stillWanted && !entry.stop) {
        entry.stop = { status: 'cancelled', note: 'the run was ended elsewhere before its agent started' };
      }
      if (entry.stop) void this.terminate(entry);
      this.changed.fire();
    }

    const result = await exit;
    entry.exited = true;
    // Output may still be in the pipes; a grandchild holding them open must not hold us forever.
    await Promise.race([closed, delay(2000)]);
    await logWriter.close();
    await observer?.end().catch((err: unknown) => this.log.warn(`Run ${run.id}: reading its output failed: ${errorMessage(err)}`));
    if (entry.pid !== undefined && !entry.stopping && isProcessTreeAlive(entry.pid)) {
      // The agent exited but left processes behind: they belong to the run and end with it.
      this.track(this.terminate(entry));
    }
    const failed = result.error !== undefined || result.code !== 0 || entry.stop !== undefined;
    const tail = failed ? await readTail(logFile, LOG_TAIL_LINES) : [];
    await this.writeOutcome(entry, result, tail);
  }

  private pipeOutput(entry: ActiveRun, child: ChildProcess, logWriter: RunLogWriter, observer: RunOutputObserver | undefined): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      const readable = child[stream];
      if (!readable) continue;
      const splitter = new LineSplitter();
      const emit = (line: string): void => {
        observer?.line(stream, line);
        this.output.fire({ runId: entry.runId, ticketId: entry.ticketId, stream, line });
      };
      readable.setEncoding('utf8');
      readable.on('data', (chunk: string) => {
        logWriter.write(chunk);
        entry.lastOutputAt = this.clock.now();
        for (const line of splitter.push(chunk)) emit(line);
      });
      readable.on('end', () => {
        for (const line of splitter.flush()) emit(line);
      });
    }
  }

  // ---- ending --------------------------------------------------------------------------------

  /**
   * Stops a run: a queued one leaves the queue; a running one's process tree gets SIGTERM, then
   * SIGKILL after the grace period, and the run is marked `status` once the process is gone. A run
   * of another live process is marked, and its owner stops the process when it sees the change.
   * Resolves with the run as recorded afterwards.
   */
  async stop(runId: string, status: StopStatus, note?: string): Promise<Run | undefined> {
    const why = note ?? (status === 'cancelled' ? 'cancelled by the user' : 'stopped: it ran longer than allowed');
    const queued = this.queue.findIndex((r) => r.runId === runId);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      const run = await this.markStopped(runId, ['queued'], status, why);
      this.changed.fire();
      if (run) this.ended.fire({ run });
      return run;
    }
    const entry = this.active.get(runId);
    if (entry?.kind === 'terminal') return this.finishTerminal(entry, { status, note: why });
    if (entry) {
      entry.stop ??= { status, note: why };
      await this.terminate(entry);
      await entry.finished;
      return this.board.getRun(runId);
    }
    // Not ours: another window (or a dead one) owns it.
    return this.markStopped(runId, ['queued', 'running'], status, why);
  }

  cancel(runId: string, note?: string): Promise<Run | undefined> {
    return this.stop(runId, 'cancelled', note);
  }

  private async markStopped(runId: string, from: readonly string[], status: StopStatus, note: string): Promise<Run | undefined> {
    return this.board.write((tx) => {
      const run = tx.getRun(runId);
      if (!run) throw new FactoryError('not-found', `run ${runId} does not exist`);
      if (!from.includes(run.status)) return run;
      const updated = tx.updateRun(runId, { status, endedAt: this.clock.now(), note });
      this.postEnd(tx, updated, `${describeStop(status)}: ${note}.`);
      return updated;
    });
  }

  /** SIGTERM to the tree, SIGKILL after the grace period unless all of it is gone. Once per run. */
  private terminate(entry: ActiveRun, graceMs = this.stopGraceMs): Promise<void> {
    const pid = entry.pid;
    // Not spawned yet: the spawn path sees `entry.stop` and ends the run itself.
    if (pid === undefined) return Promise.resolve();
    entry.stopping ??= (async () => {
      signalProcessTree(pid, 'SIGTERM');
      const deadline = Date.now() + graceMs;
      while (Date.now() < deadline && (!entry.exited || isProcessTreeAlive(pid))) await delay(50);
      if (!entry.exited || isProcessTreeAlive(pid)) {
        if (!entry.exited) this.log.warn(`Run ${entry.runId} (pid ${pid}) ignored SIGTERM for ${formatDuration(graceMs)}; killing it`);
        signalProcessTree(pid, 'SIGKILL');
      }
    })().catch((err: unknown) => this.log.error(`Stopping run ${entry.runId} failed: ${errorMessage(err)}`));
    return entry.stopping;
  }

  private async finishTerminal(entry: ActiveRun, stop: { status: StopStatus; note: string }, exitCode?: number): Promise<Run | undefined> {
    let run: Run | undefined;
    try {
      run = await this.board.write((tx) => {
        const row = tx.getRun(entry.runId);
        if (!row) return undefined;
        if (!isLive(row)) return row;
        const updated = tx.updateRun(entry.runId, { status: stop.status, endedAt: this.clock.now(), exitCode, note: stop.note });
        this.postEnd(tx, updated, `${describeStop(stop.status)}: ${stop.note}.`);
        return updated;
      });
    } finally {
      this.drop(entry);
    }
    if (run) this.ended.fire({ run });
    return run;
  }

  /** Records how a process run ended, once. The store's current status wins over the exit code. */
  private async writeOutcome(entry: ActiveRun, result: ExitResult, tail: string[]): Promise<void> {
    const outcome = await this.board.write((tx): RunEnded | undefined => {
      const run = tx.getRun(entry.runId);
      if (!run) return undefined;
      const now = this.clock.now();
      const exitCode = result.code ?? undefined;
      if (!isLive(run)) {
        // Someone else decided first (the agent's `done`, another window, the PM).
        const updated = tx.updateRun(run.id, { exitCode: run.exitCode ?? exitCode, endedAt: run.endedAt ?? now });
        const ticket = tx.getTicket(run.ticketId);
        const next = this.nextStage(run.stage);
        const advancedTo = run.status === 'succeeded' && ticket && ticket.status === next ? next : undefined;
        return { run: updated, advancedTo };
      }
      if (entry.stop) {
        const updated = tx.updateRun(run.id, { status: entry.stop.status, exitCode, endedAt: now, note: entry.stop.note });
        this.postEnd(tx, updated, `${describeStop(entry.stop.status)}: ${entry.stop.note}.`, tail);
        return { run: updated };
      }
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
    });
    if (!outcome) return;
    const { run, advancedTo } = outcome;
    this.log.info(`${run.ticketId} ${run.stage}: run ${run.id} ${run.status}${advancedTo ? `, ticket moved to ${advancedTo}` : ''}`);
    this.ended.fire(outcome);
  }

  private succeed(tx: BoardTx, run: Run, now: number): RunEnded {
    const ticket = tx.getTicket(run.ticketId);
    const next = this.nextStage(run.stage);
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
    const thread = ensureRunThread(tx, run.ticketId);
    tx.addMessage({
      conversationId: thread.id,
      author: 'runner',
      kind: 'system',
      body,
      metadata: { runId: run.id, stage: run.stage, status: run.status, exitCode: run.exitCode ?? null, attempt: run.attempt },
    });
  }

  private drop(entry: ActiveRun): void {
    if (entry.doneTimer) clearTimeout(entry.doneTimer);
    if (this.active.get(entry.runId) === entry) {
      this.active.delete(entry.runId);
      this.changed.fire();
    }
    entry.markFinished();
    this.pump();
    this.stopHeartbeatIfIdle();
  }

  /** Reacts to runs ended, or tickets deleted, by another process. */
  private checkExternalChanges(): void {
    if (this.closed) return;
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const request = this.queue[i];
      if (!request) continue;
      const run = this.board.getRun(request.runId);
      if (run?.status === 'queued') continue;
      this.queue.splice(i, 1);
      this.changed.fire();
      if (run) this.ended.fire({ run });
    }
    for (const entry of this.active.values()) {
      if (entry.stopping || entry.exited) continue;
      const run = this.board.getRun(entry.runId);
      if (run && isLive(run)) continue;
      if (entry.kind === 'terminal') {
        this.drop(entry);
        if (run) this.ended.fire({ run, advancedTo: this.advancedBy(run) });
        continue;
      }
      if (run?.status === 'succeeded') {
        // The agent said `done`: give it time to exit by itself before stopping what is left.
        entry.doneTimer ??= setTimeout(() => void this.terminate(entry), this.doneGraceMs);
        continue;
      }
      this.log.info(`Run ${entry.runId} was ended elsewhere (${run?.status ?? 'deleted'}); stopping its agent`);
      void this.terminate(entry);
    }
  }

  private advancedBy(run: Run): Status | undefined {
    if (run.status !== 'succeeded' || !isStatus(run.stage)) return undefined;
    const next = this.nextStage(run.stage);
    return next !== undefined && this.board.getTicket(run.ticketId)?.status === next ? next : undefined;
  }

  /** Where a ticket goes when `stage` is finished, in the pipeline in use. */
  private nextStage(stage: string): Status | undefined {
    return isStatus(stage) ? nextStageIn(this.pipeline(), stage) : undefined;
  }

  // ---- heartbeat -----------------------------------------------------------------------------

  private ensureHeartbeat(): void {
    if (this.heartbeatTimer || this.closed) return;
    this.heartbeatTimer = setInterval(() => void this.beat(), this.heartbeatIntervalMs);
    this.heartbeatTimer.unref();
  }

  private stopHeartbeatIfIdle(): void {
    if (this.active.size === 0 && this.queue.length === 0 && this.preparing.size === 0) this.stopHeartbeat();
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }

  /** One batched write for every live run of this manager: heartbeat and last output. */
  async beat(): Promise<void> {
    if (this.beating || this.closed) return;
    const ids = [...this.active.keys(), ...this.queue.map((r) => r.runId), ...this.preparing];
    if (ids.length === 0) return;
    this.beating = true;
    try {
      const now = this.clock.now();
      await this.board.write((tx) => {
        for (const id of ids) {
          const run = tx.getRun(id);
          if (!run || !isLive(run)) continue;
          const lastOutputAt = this.active.get(id)?.lastOutputAt;
          const newer = lastOutputAt !== undefined && lastOutputAt > (run.lastOutputAt ?? 0);
          tx.updateRun(id, newer ? { heartbeatAt: now, lastOutputAt } : { heartbeatAt: now });
        }
      });
    } catch (err) {
      this.log.warn(`Could not write the runs' heartbeat: ${errorMessage(err)}`);
    } finally {
      this.beating = false;
    }
    this.checkExternalChanges();
  }

  // ---- lifetime ------------------------------------------------------------------------------

  /**
   * Ends every run of this manager (queued and terminal runs too) as `cancelled`, stops every
   * process tree, and waits for all of it. For deactivation: nothing outlives the extension.
   */
  async shutdown(note = 'the editor window closed', graceMs = Math.min(this.stopGraceMs, 3000)): Promise<void> {
    if (this.closed) return;
    const queued = [...this.queue.splice(0).map((r) => r.runId), ...this.preparing];
    this.preparing.clear();
    const entries = [...this.active.values()];
    this.closed = true;
    this.stopHeartbeat();
    this.boardSubscription.dispose();
    const work: Promise<unknown>[] = [];
    for (const id of queued) work.push(this.markStopped(id, ['queued'], 'cancelled', note).catch(() => undefined));
    for (const entry of entries) {
      if (entry.kind === 'terminal') {
        work.push(this.finishTerminal(entry, { status: 'cancelled', note }).catch(() => undefined));
        continue;
      }
      entry.stop ??= { status: 'cancelled', note };
      work.push(this.terminate(entry, graceMs).then(() => entry.finished));
    }
    await Promise.all(work);
    await Promise.allSettled([...this.pending]);
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

function describeStop(status: StopStatus): string {
  return status === 'cancelled' ? 'was cancelled' : 'timed out';
}

function normalizeParallel(limit: number): number {
  return Number.isFinite(limit) ? Math.max(1, Math.floor(limit)) : DEFAULT_MAX_PARALLEL;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
