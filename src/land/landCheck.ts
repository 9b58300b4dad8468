/**
 * The land check (`agentFactory.land.checkCommand`): a program and its arguments run in the
 * ticket's worktree, never through a shell, in its own process group so a timeout or a cancel
 * stops everything it started. Only the end of its output is kept, for the bug a failure files.
 */
import { FactoryError, errorMessage } from '../domain/errors';
import { findProgram } from '../runner/profiles/programLookup';
import { spawnAgentProcess } from '../process/processTree';
import { stopProcessTree } from '../process/stopProcessTree';

/** How much of the output a failure reports. */
export const CHECK_TAIL_LINES = 60;
const CHECK_TAIL_BYTES = 16 * 1024;
const KILL_GRACE_MS = 5_000;

export interface CheckResult {
  passed: boolean;
  exitCode?: number | undefined;
  signal?: string | undefined;
  timedOut: boolean;
  /** The last lines of stdout and stderr, interleaved as they came. Not masked yet. */
  tail: string;
  durationMs: number;
}

export interface CheckRequest {
  command: readonly string[];
  cwd: string;
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

/** "npm test": the command as a person would read it (for notes; never run as a string). */
export function describeCommand(command: readonly string[]): string {
  return command.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}

/** Runs the check to its end; a program that cannot start is an error, not a failed check. */
export async function runCheck(req: CheckRequest): Promise<CheckResult> {
  const [program, ...args] = req.command;
  if (program === undefined || program.trim() === '') throw new FactoryError('invalid-input', 'agentFactory.land.checkCommand names no program');
  const env = req.env ?? process.env;
  const resolved = await findProgram(program, env);
  if (resolved === undefined) {
    throw new FactoryError('runner', `the land check cannot start: ${program} is not on the PATH (agentFactory.land.checkCommand)`);
  }
  req.signal?.throwIfAborted();
  const started = Date.now();
  const tail = new TailBuffer();
  const child = spawnAgentProcess(resolved, args, { cwd: req.cwd, env });
  child.stdout?.on('data', (chunk: Buffer) => tail.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => tail.push(chunk));

  let timedOut = false;
  let stopping: Promise<unknown> | undefined;
  // The one stop routine every process tree goes through: SIGTERM, the grace period, SIGKILL.
  const stop = (): void => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    stopping ??= stopProcessTree(child.pid, { graceMs: KILL_GRACE_MS, label: `the land check (pid ${child.pid})` });
  };
  const timer = setTimeout(() => {
    timedOut = true;
    stop();
  }, req.timeoutMs);
  req.signal?.addEventListener('abort', stop, { once: true });
  try {
    const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.once('error', (err) => reject(new FactoryError('runner', `the land check could not start ${program}: ${errorMessage(err)}`, { cause: err })));
      child.once('close', (c, s) => resolve({ code: c, signal: s }));
    });
    req.signal?.throwIfAborted();
    if (timedOut) tail.note(`(stopped after ${Math.round(req.timeoutMs / 60_000)} min: agentFactory.land.checkTimeoutMinutes)`);
    return { passed: code === 0 && !timedOut, exitCode: code ?? undefined, signal: signal ?? undefined, timedOut, tail: tail.text(), durationMs: Date.now() - started };
  } finally {
    clearTimeout(timer);
    await stopping;
    req.signal?.removeEventListener('abort', stop);
  }
}

/** The last lines of a stream, bounded in bytes as well. */
class TailBuffer {
  private lines: string[] = [];
  private partial = '';

  push(chunk: Buffer): void {
    const parts = (this.partial + chunk.toString('utf8')).split(/\r?\n/);
    this.partial = (parts.pop() ?? '').slice(-CHECK_TAIL_BYTES);
    this.lines.push(...parts);
    if (this.lines.length > CHECK_TAIL_LINES * 2) this.lines = this.lines.slice(-CHECK_TAIL_LINES);
  }

  note(line: string): void {
    this.flush();
    this.lines.push(line);
  }

  text(): string {
    this.flush();
    let out = this.lines.slice(-CHECK_TAIL_LINES).join('\n');
    if (out.length > CHECK_TAIL_BYTES) out = out.slice(-CHECK_TAIL_BYTES);
    return out.trimEnd();
  }

  private flush(): void {
    if (this.partial !== '') this.lines.push(this.partial);
    this.partial = '';
  }
}
