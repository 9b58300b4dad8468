/**
 * The git steps of a land, each one command with an argument array. Nothing here forces, resets
 * or stashes: a rebase or merge that stops on a conflict is aborted (the worktree is as it was),
 * the base branch moves only by `update-ref <new> <old>` (refused by git when it moved meanwhile)
 * or, where it is checked out, by a fast-forward of a clean checkout that git itself refuses
 * should it have to touch a changed or untracked file.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { FactoryError } from '../domain/errors';
import { parseNulList, parseStatus, parseWorktreeList } from '../git/porcelain';
import type { WorktreeEntry, WorktreeStatus } from '../git/port';
import { runGit, tryGit } from '../git/runGit';

export type UpdateResult = { kind: 'updated' } | { kind: 'conflict'; files: string[] };

/** The commit `rev` names, or undefined. */
export async function commitOf(cwd: string, rev: string, signal?: AbortSignal): Promise<string | undefined> {
  assertRev(rev);
  return (await tryGit(cwd, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`], { signal }))?.trim() || undefined;
}

/** The branch checked out in `cwd`, or undefined when HEAD is detached. */
export async function checkedOutBranch(cwd: string, signal?: AbortSignal): Promise<string | undefined> {
  return (await tryGit(cwd, ['symbolic-ref', '--quiet', '--short', 'HEAD'], { signal }))?.trim() || undefined;
}

/** A rebase, merge, cherry-pick or revert that stopped half-way in `cwd`, by name. */
export async function operationInProgress(cwd: string, signal?: AbortSignal): Promise<string | undefined> {
  const markers: [string, string][] = [
    ['rebase-merge', 'a rebase'],
    ['rebase-apply', 'a rebase'],
    ['MERGE_HEAD', 'a merge'],
    ['CHERRY_PICK_HEAD', 'a cherry-pick'],
    ['REVERT_HEAD', 'a revert'],
  ];
  for (const [name, what] of markers) {
    const rel = (await runGit(cwd, ['rev-parse', '--git-path', name], { signal })).trim();
    if (existsSync(resolve(cwd, rel))) return what;
  }
  return undefined;
}

export async function worktreeStatus(cwd: string, signal?: AbortSignal): Promise<WorktreeStatus> {
  return parseStatus(await runGit(cwd, ['status', '--porcelain=v1', '-z', '--untracked-files=all'], { signal }));
}

/** Staged, modified and conflicted files: work a checkout would lose (untracked files stay untouched). */
export function trackedChanges(status: WorktreeStatus): string[] {
  return [...new Set([...status.staged, ...status.modified, ...status.conflicted])].sort();
}

/** Every worktree (the main checkout first) that has `branch` checked out. */
export async function checkoutsOf(repo: string, branch: string, signal?: AbortSignal): Promise<WorktreeEntry[]> {
  const list = parseWorktreeList(await runGit(repo, ['worktree', 'list', '--porcelain', '-z'], { signal }));
  return list.filter((e) => !e.bare && !e.prunable && e.branch === branch);
}

export async function commitsBetween(cwd: string, from: string, to: string, signal?: AbortSignal): Promise<number> {
  assertRev(from);
  assertRev(to);
  return Number((await runGit(cwd, ['rev-list', '--count', `${from}..${to}`, '--'], { signal })).trim()) || 0;
}

export async function isAncestor(cwd: string, ancestor: string, descendant: string, signal?: AbortSignal): Promise<boolean> {
  assertRev(ancestor);
  assertRev(descendant);
  return (await tryGit(cwd, ['merge-base', '--is-ancestor', ancestor, descendant], { signal })) !== undefined;
}

/** Rebases the branch checked out in `cwd` onto `onto`; a conflict is aborted and reported. */
export async function rebaseOnto(cwd: string, onto: string, signal?: AbortSignal): Promise<UpdateResult> {
  assertRev(onto);
  try {
    await runGit(cwd, ['rebase', '--no-autostash', '--no-update-refs', onto], { signal });
    return { kind: 'updated' };
  } catch (err) {
    return stopped(cwd, ['rebase', '--abort'], err, signal);
  }
}

/** Merges `base` into the branch checked out in `cwd`; a conflict is aborted and reported. */
export async function mergeInto(cwd: string, base: string, message: string, signal?: AbortSignal): Promise<UpdateResult> {
  assertRev(base);
  try {
    await runGit(cwd, ['merge', '--no-autostash', '--no-edit', '-m', message, base], { signal });
    return { kind: 'updated' };
  } catch (err) {
    return stopped(cwd, ['merge', '--abort'], err, signal);
  }
}

/** One commit with `cwd`'s HEAD tree on top of `parent`: the squashed change. */
export async function squashCommit(cwd: string, parent: string, message: string, signal?: AbortSignal): Promise<string> {
  assertRev(parent);
  const tree = (await runGit(cwd, ['rev-parse', '--verify', 'HEAD^{tree}'], { signal })).trim();
  return (await runGit(cwd, ['commit-tree', tree, '-p', parent, '-m', message], { signal })).trim();
}

/** `update-ref refs/heads/<branch> <next> <expected>`: false when the branch is no longer at `expected`. */
export async function moveBranch(repo: string, branch: string, next: string, expected: string, reason: string, signal?: AbortSignal): Promise<boolean> {
  assertRev(branch);
  assertRev(next);
  assertRev(expected);
  return (await tryGit(repo, ['update-ref', '-m', reason, `refs/heads/${branch}`, next, expected], { signal })) !== undefined;
}

/** Fast-forwards the branch checked out in `cwd` to `next`; git refuses to touch changed or untracked files. */
export async function fastForwardCheckout(cwd: string, next: string, signal?: AbortSignal): Promise<void> {
  assertRev(next);
  await runGit(cwd, ['merge', '--ff-only', '--no-autostash', '--no-overwrite-ignore', next], { signal });
}

export async function conflictedFiles(cwd: string, signal?: AbortSignal): Promise<string[]> {
  const out = await tryGit(cwd, ['diff', '--name-only', '--diff-filter=U', '-z'], { signal });
  return out === undefined ? [] : [...new Set(parseNulList(out))].sort();
}

/**
 * After a rebase or merge failed: the conflicting files, with the operation aborted so the
 * worktree is back where it was. A failure that was not a conflict is aborted and thrown.
 */
async function stopped(cwd: string, abort: string[], err: unknown, signal: AbortSignal | undefined): Promise<UpdateResult> {
  const files = await conflictedFiles(cwd);
  if ((await operationInProgress(cwd)) !== undefined) await runGit(cwd, abort);
  if (signal?.aborted || files.length === 0) throw err;
  return { kind: 'conflict', files };
}

function assertRev(rev: string): void {
  if (rev.length === 0 || rev.length > 1024 || rev.startsWith('-') || /[\0\n\r]/.test(rev)) {
    throw new FactoryError('invalid-input', `not a usable git revision: ${JSON.stringify(rev).slice(0, 80)}`);
  }
}
