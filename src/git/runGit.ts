/**
 * The process layer under the simple-git adapter: one git command, an argument array, a folder,
 * an AbortSignal. simple-git spawns without a shell, kills the child on abort and on a stalled
 * process, and refuses arguments that would run programs (`--upload-pack`, `-c core.pager=...`).
 */
import { existsSync } from 'node:fs';
import { simpleGit, type SimpleGitOptions } from 'simple-git';
import { FactoryError, errorMessage } from '../domain/errors';
import { processStartTurn } from '../process/startTurn';

export interface RunGitOptions {
  signal?: AbortSignal | undefined;
  /** Variables added to the inherited environment for this one command. */
  extraEnv?: Record<string, string> | undefined;
  /** Kills git when it produces no output for this long. */
  idleTimeoutMs?: number | undefined;
}

const DEFAULT_IDLE_TIMEOUT_MS = 120_000;

/**
 * simple-git only checks an environment it is handed explicitly. When we hand it one (to add
 * GIT_INDEX_FILE) it is the user's own environment plus our variable, so the variables it would
 * otherwise refuse (EDITOR, PAGER, GIT_ASKPASS, ...) are the user's choices, not injected text.
 * Diff commands pass --no-ext-diff and --no-textconv themselves.
 */
const INHERITED_ENV_IS_TRUSTED: SimpleGitOptions['unsafe'] = {
  allowUnsafeAskPass: true,
  allowUnsafeConfigPaths: true,
  allowUnsafeConfigEnvCount: true,
  allowUnsafeEditor: true,
  allowUnsafePager: true,
  allowUnsafeSshCommand: true,
  allowUnsafeGitProxy: true,
  allowUnsafeDiffExternal: true,
  allowUnsafeTemplateDir: true,
};

/** Runs `git <args>` in `cwd` and resolves with its stdout. */
export async function runGit(cwd: string, args: readonly string[], opts: RunGitOptions = {}): Promise<string> {
  const { signal } = opts;
  if (signal?.aborted) throw cancelled(args);
  if (!existsSync(cwd)) throw new FactoryError('git', `git ${args[0] ?? ''}: the folder ${cwd} does not exist`);
  const options: Partial<SimpleGitOptions> = {
    baseDir: cwd,
    trimmed: false,
    timeout: { block: opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS },
    ...(signal ? { abort: signal } : {}),
    ...(opts.extraEnv ? { unsafe: INHERITED_ENV_IS_TRUSTED } : {}),
  };
  try {
    await processStartTurn();
    if (signal?.aborted) throw cancelled(args);
    const git = simpleGit(options);
    if (opts.extraEnv) git.env({ ...process.env, ...opts.extraEnv });
    return await git.raw([...args]);
  } catch (err) {
    if (signal?.aborted) throw cancelled(args, err);
    throw new FactoryError('git', `git ${args[0] ?? ''} failed in ${cwd}: ${errorMessage(err).trim()}`, { cause: err });
  }
}

/**
 * Like runGit, but a failure resolves to undefined. For questions whose "no" is an error exit
 * (does this ref exist?); cancellation still rejects.
 */
export async function tryGit(cwd: string, args: readonly string[], opts: RunGitOptions = {}): Promise<string | undefined> {
  try {
    return await runGit(cwd, args, opts);
  } catch (err) {
    if (err instanceof FactoryError && err.reason === 'cancelled') throw err;
    return undefined;
  }
}

function cancelled(args: readonly string[], cause?: unknown): FactoryError {
  return new FactoryError('cancelled', `git ${args[0] ?? ''} was cancelled`, { cause });
}
