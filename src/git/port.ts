/**
 * What the agents need from git, as one small interface. Two adapters implement it: simple-git
 * (headless, used by the CLI and the unit tests) and the VS Code Git API (src/vscode/git), which
 * falls back to simple-git for whatever the running editor lacks.
 *
 * Every method takes the folder it works in (the main checkout or one worktree) and an optional
 * AbortSignal; an aborted call rejects with FactoryError('cancelled'), a failing git command with
 * FactoryError('git') carrying git's own message.
 */

export interface GitCallOptions {
  signal?: AbortSignal | undefined;
}

export interface WorktreeEntry {
  /** Absolute path as git reports it. */
  path: string;
  /** Commit checked out; undefined in a bare entry or a worktree whose HEAD cannot be read. */
  head?: string | undefined;
  /** Short branch name (`factory/T-1-x`), undefined when detached. */
  branch?: string | undefined;
  detached: boolean;
  bare: boolean;
  /** The first entry: the main checkout (never removed). */
  main: boolean;
  locked: boolean;
  lockedReason?: string | undefined;
  /** Registered but its folder is gone (`git worktree prune` would drop it). */
  prunable: boolean;
  prunableReason?: string | undefined;
}

export interface WorktreeStatus {
  /** Anything staged, modified, conflicted or untracked (ignored files do not count). */
  dirty: boolean;
  staged: string[];
  modified: string[];
  untracked: string[];
  conflicted: string[];
}

export interface AheadBehind {
  /** Commits on HEAD not in base. */
  ahead: number;
  /** Commits on base not in HEAD. */
  behind: number;
}

export type ChangeKind = 'added' | 'modified' | 'deleted' | 'renamed' | 'copied' | 'typechange' | 'untracked';
/** Where a change lives: committed on the branch, staged, modified in the working tree, untracked. */
export type ChangeSource = 'committed' | 'staged' | 'modified' | 'untracked';

export interface ChangedFile {
  /** Worktree-relative, forward slashes. */
  path: string;
  /** The net change against the merge-base with the base branch. */
  kind: ChangeKind;
  /** For a rename or copy: where it came from. */
  oldPath?: string | undefined;
  /** Every layer the file changed in, in the order committed, staged, modified, untracked. */
  sources: ChangeSource[];
}

export interface WorktreeActivity {
  /** Commits on the worktree's HEAD that are not in base. */
  commitsAhead: number;
  /** Committer time (ms) of HEAD when it is ahead of base; undefined when nothing was committed. */
  lastCommitAt?: number | undefined;
  /** Files changed since the merge-base, committed or not (untracked included). */
  changedFileCount: number;
  /** Newest modification time (ms) among staged, modified and untracked files. */
  lastFileChangeAt?: number | undefined;
}

export interface CreateWorktreeRequest {
  path: string;
  branch: string;
  /**
   * Where a new branch starts. When `branch` already exists it is checked out as it is and base
   * is ignored.
   */
  base: string;
}

export interface CreateWorktreeResult {
  path: string;
  branch: string;
  /** True when the branch was created from base, false when an existing branch was checked out. */
  createdBranch: boolean;
}

export interface GitPort {
  /** The branch tickets start from when no setting names one (origin's HEAD, init.defaultBranch, main, master, current). */
  defaultBranch(repo: string, opts?: GitCallOptions): Promise<string>;
  /** True when `refs/heads/<branch>` exists. */
  branchExists(repo: string, branch: string, opts?: GitCallOptions): Promise<boolean>;
  /** Any commit-ish (branch, remote branch, tag, sha) that resolves to a commit. */
  revisionExists(repo: string, rev: string, opts?: GitCallOptions): Promise<boolean>;
  createWorktree(repo: string, req: CreateWorktreeRequest, opts?: GitCallOptions): Promise<CreateWorktreeResult>;
  listWorktrees(repo: string, opts?: GitCallOptions): Promise<WorktreeEntry[]>;
  status(path: string, opts?: GitCallOptions): Promise<WorktreeStatus>;
  /** HEAD of `path` against `base`. */
  aheadBehind(path: string, base: string, opts?: GitCallOptions): Promise<AheadBehind>;
  /** Committer time (ms) of `rev` (default HEAD) in `path`; undefined when it does not resolve. */
  lastCommitTime(path: string, rev?: string, opts?: GitCallOptions): Promise<number | undefined>;
  /** undefined when the two have no common history. */
  mergeBase(path: string, a: string, b: string, opts?: GitCallOptions): Promise<string | undefined>;
  /**
   * True when every commit of `branch` is in `base`: an ancestor (merge, fast-forward) or
   * patch-equivalent (rebase, cherry-pick).
   */
  isMerged(repo: string, branch: string, base: string, opts?: GitCallOptions): Promise<boolean>;
  /** Files changed on the worktree's branch since its merge-base with `base`, committed or not; ignored files excluded. */
  changedFiles(path: string, base: string, opts?: GitCallOptions): Promise<ChangedFile[]>;
  worktreeActivity(path: string, base: string, opts?: GitCallOptions): Promise<WorktreeActivity>;
  /**
   * Submodules checked out in the worktree (relative paths). Their own commits live in git
   * folders a worktree removal deletes, and no patch can carry them.
   */
  initializedSubmodules(path: string, opts?: GitCallOptions): Promise<string[]>;
  /** Bytes the folder takes on disk; walks asynchronously so the caller's thread stays free. */
  sizeOnDisk(path: string, opts?: GitCallOptions): Promise<number>;
  /** `git check-ref-format --branch`: true when `name` is a valid branch name. */
  checkRefFormat(name: string, opts?: GitCallOptions): Promise<boolean>;
}
