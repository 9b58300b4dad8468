/**
 * One agent process of a run, from spawn to exit. The agent writes its stdout and stderr straight
 * into the run's log file, so it never depends on this process staying alive (an owner that dies
 * must not take a working agent with it through a broken pipe); this side follows the file for the
 * output channel and keeps it to its cap. Its exit is awaited together with the output its
 * process tree still writes, and stopping it goes through the one stop routine, once.
 */
import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import type { Clock } from '../domain/clock';
import type { Logger } from '../domain/logger';
import { processStartToken } from '../process/processIdentity';
import { processTreeAlive, spawnAgentProcess } from '../process/processTree';
import { stopProcessTree } from '../process/stopProcessTree';
import { LogFollower } from './logFollower';
import type { ExitResult } from './runOutcomes';

/** How long output a grandchild still writes may hold up the outcome after the agent exited. */
const DRAIN_MS = 2000;
const DRAIN_POLL_MS = 250;

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

  /** Throws when the program cannot be started at all (a synchronous spawn error). */
  constructor(private readonly options: SuperviseOptions) {
    // One small open: the agent gets the file itself as its output, appending to it.
    const fd = openSync(options.logFile, 'a');
    try {
      this.child = spawnAgentProcess(options.program, options.args, { cwd: options.cwd, env: options.env, output: fd });
    } finally {
      closeSync(fd);
    }
    this.pid = this.child.pid;
    const child = this.child;
    const exit = new Promise<ExitResult>((resolve) => {
      child.once('error', (error) => resolve({ code: null, signal: null, error, at: this.markExited() }));
      child.once('exit', (code, signal) => resolve({ code, signal, at: this.markExited() }));
    });
    const follower = new LogFollower(options.logFile, {
      maxBytes: options.maxLogBytes,
      onLine: (line) => options.onLine(line),
      onOutput: () => (this.lastOutput = options.clock.now()),
    });
    const following = follower.start().catch((err: unknown) => options.log.warn(`Cannot follow the log of ${options.label}: ${String(err)}`));
    this.ended = (async () => {
      const result = await exit;
      await following;
      await this.drain(follower);
      await follower.finish();
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

  /** After the exit: reads what the tree still writes until it is gone, for DRAIN_MS at most. */
  private async drain(follower: LogFollower): Promise<void> {
    const deadline = Date.now() + DRAIN_MS;
    while (Date.now() < deadline && (await this.treeAlive())) {
      await follower.poke();
      await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
    }
  }
}
