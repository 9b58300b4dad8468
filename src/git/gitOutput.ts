/**
 * Runs one read-only git command with an argument array (never a shell) and collects its raw
 * output, so callers can parse NUL-separated records byte-exactly. Aborting the signal kills the
 * process. The scans' hot listings use it rather than runGit.ts (simple-git), which also waits
 * 50 ms after a command that printed nothing before it answers.
 */
import { startProcess } from '../process/processStarter';
import { processStartTurn } from '../process/startTurn';
import { FactoryError } from '../domain/errors';

export interface GitOutput {
  code: number;
  stdout: Buffer;
  stderr: string;
}

export interface GitRunOptions {
  signal?: AbortSignal | undefined;
  /** Exit codes that are answers rather than failures (`git grep` exits 1 when nothing matched). */
  okCodes?: readonly number[];
}

/**
 * Read-only commands must not take `index.lock` to refresh the index on the side: other processes
 * (the user's git, the coding agents) work in the same repository at the same time.
 */
const GIT_ENV: Record<string, string> = { GIT_OPTIONAL_LOCKS: '0', GIT_TERMINAL_PROMPT: '0' };

export async function gitOutput(cwd: string, args: readonly string[], options: GitRunOptions = {}): Promise<GitOutput> {
  const { signal, okCodes = [0] } = options;
  await processStartTurn();
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(cancelled(args));
      return;
    }
    const child = startProcess('git', args, { cwd, extraEnv: GIT_ENV, signal });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (e: Error) => {
      if (signal?.aborted) reject(cancelled(args));
      else reject(new FactoryError('git', `could not run git ${args[0] ?? ''} in ${cwd}: ${e.message}`, { cause: e }));
    });
    child.on('close', (code: number | null) => {
      if (signal?.aborted) {
        reject(cancelled(args));
        return;
      }
      const stderr = Buffer.concat(err).toString('utf8').trim();
      if (code === null || !okCodes.includes(code)) {
        reject(new FactoryError('git', `git ${args[0] ?? ''} failed in ${cwd} (exit ${code ?? 'signal'}): ${stderr || 'no message'}`));
        return;
      }
      resolve({ code, stdout: Buffer.concat(out), stderr });
    });
  });
}

function cancelled(args: readonly string[]): FactoryError {
  return new FactoryError('cancelled', `git ${args[0] ?? ''} was cancelled`);
}
