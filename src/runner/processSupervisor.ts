/**
 * One agent process of a run, from spawn to exit. The agent's stdout and stderr go through the
 * masking log writer (logWriterProcess.ts) into the run's log file, so no secret lands on disk and
 * the agent never depends on this process staying alive (an owner that dies must not take a
 * working agent with it through a broken pipe); the writer echoes the masked lines here for the
 * output channel and keeps the file to its cap. The agent's exit is awaited together with the
 * output its process tree still writes, and stopping it goes through the one stop routine, once.
 */
import type { ChildProcess } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';
import type { Clock } from '../domain/clock';
import type { Logger } from '../domain/logger';
import { processStartToken } from '../process/processIdentity';
import { processTreeAlive, spawnAgentProcess } from '../process/processTree';
import { stopProcessTree } from '../process/stopProcessTree';
import { closeOutputPipe, type OutputPipe } from '../process/outputPipe';
import { startLogWriter } from './logWriterProcess';
import { LineSplitter } from './runFiles';
import type { ExitResult } from './runOutcomes';

/** How long output a grandchild still writes may hold up the outcome after the agent exited. */
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
  onLine(line: string): void;
}

export class SupervisedProcess {
  readonly child: ChildProcess;
  readonly pid: number | undefined;
  /** Resolves once the process exited, its tree's output is read (within DRAIN_MS) and the log capped. */
  readonly ended: Promise<ExitResult>;
  private exitedAt: number | undefined;
  private lastOutput: number | undefined;
  private stopping: Promise<void> | undefined;
  private delivering = true;

  /**
   * Throws when the program cannot be started at all (a synchronous spawn error). `pipe` carries
   * the agent's output to the log writer (openOutputPipe); this takes it over and closes it.
   */
  constructor(
    private readonly options: SuperviseOptions,
    pipe?: OutputPipe,
  ) {
    let writer: ChildProcess | undefined;
    try {
      writer = startLogWriter(options.logFile, options.maxLogBytes, pipe?.read ?? 'pipe');
      this.echo(writer);
      this.child = spawnAgentProcess(options.program, options.args, { cwd: options.cwd, env: options.env, output: pipe?.write ?? writer.stdin ?? undefined });
    } finally {
      // The agent and the writer hold the pipe now; once the agent and all it started close their
      // end, the writer reads the end of the output and finishes (at once when the agent never started).
      if (pipe) closeOutputPipe(pipe);
      writer?.stdin?.destroy();
    }
    const started = writer;
    const written = new Promise<void>((resolve) => {
      started.once('error', (err) => {
        options.log.warn(`The log writer of ${options.label} failed: ${String(err)}`);
        resolve();
      });
      started.once('close', () => resolve());
    });
    this.pid = this.child.pid;
    const child = this.child;
    const exit = new Promise<ExitResult>((resolve) => {
      child.once('error', (error) => resolve({ code: null, signal: null, error, at: this.markExited() }));
      child.once('exit', (code, signal) => resolve({ code, signal, at: this.markExited() }));
    });
    this.ended = (async () => {
      const result = await exit;
      // What the tree still writes, within DRAIN_MS: a grandchild holding the output keeps the
      // writer open, and the runner stops what the agent left once this resolves.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([written, new Promise((resolve) => (timer = setTimeout(resolve, DRAIN_MS)))]);
      clearTimeout(timer);
      // Later output still reaches the log file, but no longer a run that has ended.
      this.delivering = false;
      return result;
    })();
  }

  /** Splits the writer's echo of the masked output into lines for the output channel. */
  private echo(writer: ChildProcess): void {
    const decoder = new StringDecoder('utf8');
    const splitter = new LineSplitter();
    const deliver = (lines: string[]): void => {
      if (!this.delivering) return;
      for (const line of lines) this.options.onLine(line);
    };
    writer.stdout?.on('data', (chunk: Buffer) => {
      this.lastOutput = this.options.clock.now();
      deliver(splitter.push(decoder.write(chunk)));
    });
    writer.stdout?.on('end', () => deliver([...splitter.push(decoder.end()), ...splitter.flush()]));
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
}
