/**
 * The git port through the editor's own git extension where it helps: creating a worktree there
 * lets VS Code know it at once (and copy the files `.worktreeinclude` lists). Everything else, and
 * anything the running editor lacks, goes to the simple-git adapter.
 *
 * Removals never go through either: they are salvaged and done all or nothing by
 * `src/git/salvage/`, which no API call could make safe (the editor's own delete would put a
 * "Force Delete?" modal in front of the user from a background cycle).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import * as vscode from 'vscode';
import { FactoryError, errorMessage } from '../../domain/errors';
import { samePath } from '../../git/paths';
import type {
  AheadBehind,
  ChangedFile,
  CreateWorktreeRequest,
  CreateWorktreeResult,
  GitCallOptions,
  GitPort,
  WorktreeActivity,
  WorktreeEntry,
  WorktreeStatus,
} from '../../git/port';
import type { GitApi, GitExtension, Repository } from './gitApi';

export interface VsCodeGitPortLog {
  debug(message: string): void;
  warn(message: string): void;
}

/** The git extension's API, or why there is none. */
export type GitApiLookup = { api: GitApi } | { api: undefined; why: string };

/**
 * The git extension's API when that extension is installed, enabled and has git (`git.enabled`).
 * Feature-detected, never required: Agent Factory does not depend on the git extension, which
 * does not run in Restricted Mode and which a user may disable.
 */
export async function loadGitApi(): Promise<GitApiLookup> {
  const extension = vscode.extensions.getExtension<GitExtension>('vscode.git');
  if (!extension) return { api: undefined, why: 'the built-in Git extension is disabled or not installed' };
  try {
    const exports = extension.isActive ? extension.exports : await extension.activate();
    return exports.enabled ? { api: exports.getAPI(1) } : { api: undefined, why: 'the Git extension is turned off (git.enabled is false)' };
  } catch (err) {
    return { api: undefined, why: `the Git extension did not start (${errorMessage(err)})` };
  }
}

export class VsCodeGitPort implements GitPort {
  constructor(
    private api: GitApi | undefined,
    private readonly fallback: GitPort,
    private readonly log?: VsCodeGitPortLog,
  ) {}

  /** Uses the editor's Git API from now on (after trust was granted, say), or only the fallback. */
  useApi(api: GitApi | undefined): void {
    this.api = api;
  }

  async createWorktree(repo: string, req: CreateWorktreeRequest, opts?: GitCallOptions): Promise<CreateWorktreeResult> {
    opts?.signal?.throwIfAborted();
    // The API always creates the branch (-b); checking out an existing one is the fallback's job.
    // It also cannot pass --no-track, so a remote base (origin/main) goes to the fallback too.
    if ((await this.fallback.branchExists(repo, req.branch, opts)) || !(await this.fallback.branchExists(repo, req.base, opts))) {
      return this.fallback.createWorktree(repo, req, opts);
    }
    const repository = await this.repository(repo);
    if (!repository?.createWorktree) return this.fallback.createWorktree(repo, req, opts);
    if (!(await this.fallback.checkRefFormat(req.branch, opts))) {
      throw new FactoryError('invalid-input', `git refuses the branch name ${req.branch}`);
    }
    mkdirSync(dirname(req.path), { recursive: true });
    let path: string;
    try {
      path = await repository.createWorktree({ path: req.path, branch: req.branch, commitish: req.base });
    } catch (err) {
      throw new FactoryError('git', `creating the worktree ${req.path} failed: ${gitMessage(err)}`, { cause: err });
    }
    this.log?.debug(`git API: created worktree ${path} on ${req.branch}`);
    return { path: path || req.path, branch: req.branch, createdBranch: true };
  }

  /** The editor's repository for the main checkout, opened if it does not know it yet. */
  private async repository(repo: string): Promise<Repository | undefined> {
    const api = this.api;
    if (!api) return undefined;
    try {
      const uri = vscode.Uri.file(repo);
      const known = api.getRepository?.(uri) ?? api.repositories.find((r) => samePath(r.rootUri.fsPath, repo));
      if (known && samePath(known.rootUri.fsPath, repo)) return known;
      const opened = (await api.openRepository?.(uri)) ?? undefined;
      return opened && samePath(opened.rootUri.fsPath, repo) ? opened : undefined;
    } catch (err) {
      this.log?.warn(`git API: cannot open ${repo}, using git directly: ${errorMessage(err)}`);
      return undefined;
    }
  }

  // What the API has no equivalent for (porcelain list with locks and prunable entries,
  // merge-base, ahead/behind, changed files, sizes) is the fallback's.

  defaultBranch(repo: string, opts?: GitCallOptions): Promise<string> {
    return this.fallback.defaultBranch(repo, opts);
  }
  branchExists(repo: string, branch: string, opts?: GitCallOptions): Promise<boolean> {
    return this.fallback.branchExists(repo, branch, opts);
  }
  revisionExists(repo: string, rev: string, opts?: GitCallOptions): Promise<boolean> {
    return this.fallback.revisionExists(repo, rev, opts);
  }
  listWorktrees(repo: string, opts?: GitCallOptions): Promise<WorktreeEntry[]> {
    return this.fallback.listWorktrees(repo, opts);
  }
  status(path: string, opts?: GitCallOptions): Promise<WorktreeStatus> {
    return this.fallback.status(path, opts);
  }
  aheadBehind(path: string, base: string, opts?: GitCallOptions): Promise<AheadBehind> {
    return this.fallback.aheadBehind(path, base, opts);
  }
  lastCommitTime(path: string, rev?: string, opts?: GitCallOptions): Promise<number | undefined> {
    return this.fallback.lastCommitTime(path, rev, opts);
  }
  mergeBase(path: string, a: string, b: string, opts?: GitCallOptions): Promise<string | undefined> {
    return this.fallback.mergeBase(path, a, b, opts);
  }
  isMerged(repo: string, branch: string, base: string, opts?: GitCallOptions): Promise<boolean> {
    return this.fallback.isMerged(repo, branch, base, opts);
  }
  changedFiles(path: string, base: string, opts?: GitCallOptions): Promise<ChangedFile[]> {
    return this.fallback.changedFiles(path, base, opts);
  }
  worktreeActivity(path: string, base: string, opts?: GitCallOptions): Promise<WorktreeActivity> {
    return this.fallback.worktreeActivity(path, base, opts);
  }
  initializedSubmodules(path: string, opts?: GitCallOptions): Promise<string[]> {
    return this.fallback.initializedSubmodules(path, opts);
  }
  sizeOnDisk(path: string, opts?: GitCallOptions): Promise<number> {
    return this.fallback.sizeOnDisk(path, opts);
  }
  checkRefFormat(name: string, opts?: GitCallOptions): Promise<boolean> {
    return this.fallback.checkRefFormat(name, opts);
  }
}

/** The git extension's errors carry git's stderr; its message alone is often "Failed to execute git". */
function gitMessage(err: unknown): string {
  const stderr = (err as { stderr?: unknown } | undefined)?.stderr;
  return typeof stderr === 'string' && stderr.trim() ? stderr.trim() : errorMessage(err);
}
