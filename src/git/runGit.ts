/**
 * The process layer under the simple-git adapter: one git command, an argument array, a folder,
 * an AbortSignal. simple-git spawns without a shell, kills the child on abort and on a stalled
 * process, and refuses arguments that would run programs (`--upload-pack`, `-c core.pager=...`).
 */
import { existsSync } from 'node:fs';
import { simpleGit, type SimpleGitOptions } from 'simple-git';
import { FactoryError, errorMessage } from '../domain/errors';
import { starterTask } from '../process/processStarter';
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
  try {
    const params: GitTaskParams = { cwd, args: [...args], extraEnv: opts.extraEnv, idleTimeoutMs: opts.idleTimeoutMs };
    // In the editor the process starter runs it (starting git from the host holds its thread).
    const remote = starterTask(GIT_TASK, params, signal);
    if (remote) return await remote;
    await processStartTurn();
    if (signal?.aborted) throw cancelled(args);
    return await gitTask(params, signal);
  } catch (err) {
    if (signal?.aborted) throw cancelled(args, err);
    throw new FactoryError('git', `git ${args[0] ?? ''} failed in ${cwd}: ${errorMessage(err).trim()}`, { cause: err });
  }
}

/** The process starter's name for gitTask. */
export const GIT_TASK = 'git';

export interface GitTaskParams {
  cwd: string;
  args: string[];
  extraEnv?: Record<string, string> | undefined;
  idleTimeoutMs?: number | undefined;
}

/** One git command through simple-git, where it runs: here, or in the process starter. */
export async function gitTask(params: GitTaskParams, signal?: AbortSignal): Promise<string> {
  const options: Partial<SimpleGitOptions> = {
    baseDir: params.cwd,
    trimmed: false,
    timeout: { block: params.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS },
    ...(signal ? { abort: signal } : {}),
    ...(params.extraEnv ? { unsafe: INHERITED_ENV_IS_TRUSTED } : {}),
  };
  const git = simpleGit(options);
  if (params.extraEnv) git.env({ ...process.env, ...params.extraEnv });
  return git.raw(params.args);
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
