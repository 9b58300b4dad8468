/**
 * git commands that read their input from stdin or stream large outputs: `hash-object
 * --stdin-paths`, `update-index --index-info`, `mktree`, `cat-file --batch`. runGit (simple-git)
 * has no stdin, and buffering every blob of a worktree in memory would not scale. The arguments
 * are fixed by the caller's code; paths and contents only ever travel through stdin.
 */
import { existsSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { FactoryError, errorMessage } from '../domain/errors';
import { startProcess, type StartedProcess } from '../process/processStarter';

export interface GitStreamOptions {
  signal?: AbortSignal | undefined;
  /** Variables added to the inherited environment for this one command. */
  extraEnv?: Record<string, string> | undefined;
}

/** A git whose stdin this side writes. */
export type GitWithStdin = StartedProcess & { readonly stdin: Writable; readonly stdout: Readable };

/** Starts `git <args>` in `cwd`; the caller owns stdin and stdout. Killed when `signal` aborts. */
export function spawnGit(cwd: string, args: readonly string[], opts: GitStreamOptions = {}): { child: GitWithStdin; done: Promise<void> } {
  const { signal } = opts;
  if (signal?.aborted) throw cancelled(args);
  if (!existsSync(cwd)) throw new FactoryError('git', `git ${args[0] ?? ''}: the folder ${cwd} does not exist`);
  const child = startProcess('git', args, { cwd, extraEnv: { ...opts.extraEnv, GIT_TERMINAL_PROMPT: '0' }, stdin: 'pipe' }) as GitWithStdin;
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    if (stderr.length < 8192) stderr += chunk;
  });
  // A child that exits early closes its stdin; the write error is reported through `done`.
  child.stdin.on('error', () => undefined);
  const onAbort = (): void => void child.kill();
  signal?.addEventListener('abort', onAbort, { once: true });
  const done = new Promise<void>((resolve, reject) => {
    child.once('error', (err: Error) => reject(new FactoryError('git', `git ${args[0] ?? ''} could not start in ${cwd}: ${errorMessage(err)}`, { cause: err })));
    child.once('close', (code: number | null, sig: NodeJS.Signals | null) => {
      signal?.removeEventListener('abort', onAbort);
      if (signal?.aborted) return reject(cancelled(args));
      if (code === 0) return resolve();
      reject(new FactoryError('git', `git ${args[0] ?? ''} failed in ${cwd} (${code === null ? `signal ${sig ?? '?'}` : `exit ${code}`}): ${stderr.trim()}`));
    });
  });
  done.catch(() => undefined);
  return { child, done };
}

/** Runs `git <args>` with `input` on stdin; resolves with stdout. */
export async function gitWithInput(cwd: string, args: readonly string[], input: string | Buffer, opts: GitStreamOptions = {}): Promise<string> {
  const { child, done } = spawnGit(cwd, args, opts);
  const chunks: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  child.stdin.end(input);
  await done;
  return Buffer.concat(chunks).toString('utf8');
}

function cancelled(args: readonly string[]): FactoryError {
  return new FactoryError('cancelled', `git ${args[0] ?? ''} was cancelled`);
}
