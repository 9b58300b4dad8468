/**
 * One agent process of a run, from spawn to exit: its output goes line by line to the run's log
 * (capped) and to a listener, its exit is awaited together with the output still in its pipes,
 * and stopping it goes through the one stop routine (SIGTERM to the tree, grace, SIGKILL), once.
 */
import type { ChildProcess } from 'node:child_process';
import type { Clock } from '../domain/clock';
import type { Logger } from '../domain/logger';
import { processStartToken } from '../process/processIdentity';
import { processTreeAlive, spawnAgentProcess } from '../process/processTree';
import { stopProcessTree } from '../process/stopProcessTree';
import { LineSplitter, RunLogWriter } from './runFiles';
import type { ExitResult } from './runOutcomes';

/** How long output still in the pipes may hold up the exit (a grandchild may keep them open). */
const DRAIN_MS = 2000;

export interface SuperviseOptions {
  program: string;
  args: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  logFile: string;
  maxLogBytes: number;
  clock: Clock;
  log: Logger;
  /** For messages: "run r-12". */
  label: string;
  onLine(stream: 'stdout' | 'stderr', line: string): void;
}

export class SupervisedProcess {
  readonly child: ChildProcess;
  readonly pid: number | undefined;
  /** Resolves once the process exited, its output is drained (within DRAIN_MS) and the log closed. */
  readonly ended: Promise<ExitResult>;
  private exitedAt: number | undefined;
  private lastOutput: number | undefined;
  private stopping: Promise<void> | undefined;

  /** Throws when the program cannot be started at all (a synchronous spawn error). */
  constructor(private readonly options: SuperviseOptions) {
    const logWriter = new RunLogWriter(options.logFile, options.maxLogBytes);
    try {
      this.child = spawnAgentProcess(options.program, options.args, { cwd: options.cwd, env: options.env });
    } catch (err) {
      void logWriter.close();
      throw err;
    }
    this.pid = this.child.pid;
    const child = this.child;
    const exit = new Promise<ExitResult>((resolve) => {
      child.once('error', (error) => resolve({ code: null, signal: null, error, at: this.markExited() }));
      child.once('exit', (code, signal) => resolve({ code, signal, at: this.markExited() }));
    });
    const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
    this.pipe(logWriter);
    this.ended = (async () => {
      const result = await exit;
      await Promise.race([closed, delay(DRAIN_MS)]);
      await logWriter.close();
      return result;
    })();
  }

  get exited(): boolean {
    return this.exitedAt !== undefined;
  }

  /** When the agent last wrote output (this machine's clock), if it did. */
  get lastOutputAt(): number | undefined {
    return this.lastOutput;
  }

  get isStopping(): boolean {
    return this.stopping !== undefined;
  }

  /** The process's start token, recorded with its pid so a reused pid is never mistaken for it. */
  startToken(): Promise<string | undefined> {
    return this.pid === undefined ? Promise.resolve(undefined) : processStartToken(this.pid);
  }

  /** True while any process of its tree lives (grandchildren may outlive the agent). */
  treeAlive(): Promise<boolean> {
    return this.pid === undefined ? Promise.resolve(false) : processTreeAlive(this.pid);
  }

  /** Stops the whole tree (once; later calls share the first) and resolves when it is gone. */
  stop(graceMs: number): Promise<void> {
    const pid = this.pid;
    if (pid === undefined) return Promise.resolve();
    this.stopping ??= stopProcessTree(pid, {
      graceMs,
      label: `${this.options.label} (pid ${pid})`,
      log: this.options.log,
      exited: () => this.exited,
    }).then(() => undefined);
    return this.stopping;
  }

  private markExited(): number {
    this.exitedAt ??= this.options.clock.now();
    return this.exitedAt;
  }

  private pipe(logWriter: RunLogWriter): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      const readable = this.child[stream];
      if (!readable) continue;
      const splitter = new LineSplitter();
      readable.setEncoding('utf8');
      readable.on('data', (chunk: string) => {
        logWriter.write(chunk);
        this.lastOutput = this.options.clock.now();
        for (const line of splitter.push(chunk)) this.options.onLine(stream, line);
      });
      readable.on('end', () => {
        for (const line of splitter.flush()) this.options.onLine(stream, line);
      });
    }
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
