/**
 * Makes a ticket's worktree exist: reuse it when it is there, recreate it from its branch when the
 * folder went missing, create it (and its branch) when it never existed. Shared by "Start Ticket"
 * and the Worktree agent, and safe when both race: a worktree that appeared meanwhile is reused.
 *
 * A registration whose folder is missing is never pruned blindly: the caller's `retire` saves what
 * only its admin folder holds and drops it, and the new worktree gets another admin folder name,
 * so a moved copy that still points at the old one never shares the new worktree's index and HEAD.
 */
import { existsSync, readdirSync } from 'node:fs';
import type { Worktree } from '../domain/ticket';
import { FactoryError } from '../domain/errors';
import { samePath } from './paths';
import type { CreateWorktreeResult, GitPort, WorktreeEntry } from './port';
import { registrationOf, withAdminNameTaken } from './salvage/adminFolder';

export type MaterializeAction = 'present' | 'created' | 'recreated' | 'adopted';

export interface MaterializeResult {
  worktree: Worktree;
  action: MaterializeAction;
}

export interface MaterializeOptions {
  /**
   * Whether a missing branch may be created from base. False when the ticket already had a
   * worktree: its branch held the work, and starting over silently would hide that it is gone.
   */
  allowNewBranch: boolean;
  signal?: AbortSignal | undefined;
  /** A listing taken this cycle, to save a git call. */
  list?: WorktreeEntry[] | undefined;
  /** Saves and drops the registration of `want.path` whose folder is missing. */
  retire(entry: WorktreeEntry): Promise<void>;
}

/** The branch a ticket's worktree was on is gone and may not be recreated silently. */
export class BranchGoneError extends FactoryError {
  constructor(readonly branch: string, readonly path: string) {
    super('not-found', `the worktree ${path} is missing and its branch ${branch} no longer exists, so the work cannot be recovered from git`);
    this.name = 'BranchGoneError';
  }
}

/** This process's materializations in flight, by repository and folder. */
const inFlight = new Map<string, Promise<unknown>>();

/**
 * One materialization of a folder at a time in this process: two starts of one ticket (a click and
 * the autopilot) would both try to create it, and the loser, failing on the branch the winner has
 * just made, can look before the winner's worktree is registered. Waiting its turn, it finds it
 * there. Other processes are covered by the look after a failed creation.
 */
export async function materializeWorktree(git: GitPort, repo: string, want: Worktree, opts: MaterializeOptions): Promise<MaterializeResult> {
  const key = `${repo}\0${want.path}`;
  const before = inFlight.get(key);
  const mine = (async () => {
    await before?.catch(() => undefined);
    // The listing handed in may be older than the turn before ours.
    return materializeOnce(git, repo, want, before ? { ...opts, list: undefined } : opts);
  })();
  inFlight.set(key, mine);
  try {
    return await mine;
  } finally {
    if (inFlight.get(key) === mine) inFlight.delete(key);
  }
}

async function materializeOnce(git: GitPort, repo: string, want: Worktree, opts: MaterializeOptions): Promise<MaterializeResult> {
  const { signal } = opts;
  const call = { signal };
  let list = opts.list ?? (await git.listWorktrees(repo, call));

  const present = findPresent(list, want);
  if (present) return present;

  const registered = list.find((e) => samePath(e.path, want.path));
  if (registered?.locked) {
    throw new FactoryError('git', `the worktree ${want.path} is missing but locked${registered.lockedReason ? ` (${registered.lockedReason})` : ''}; reconnect it or run git worktree unlock`);
  }
  let adminName: string | undefined;
  if (registered) {
    adminName = (await registrationOf(repo, want.path, signal))?.name;
    await opts.retire(registered);
    list = await git.listWorktrees(repo, call);
  }

  const elsewhere = list.find((e) => e.branch === want.branch && !samePath(e.path, want.path) && !e.prunable);
  if (elsewhere?.main) {
    throw new FactoryError('git', `the branch ${want.branch} is checked out in the main checkout ${elsewhere.path}; switch the main checkout to another branch so the ticket gets its own worktree`);
  }
  if (elsewhere && existsSync(elsewhere.path)) {
    // Someone moved the work to another folder (git worktree move): follow it rather than fork it.
    return { worktree: { ...want, path: elsewhere.path }, action: 'adopted' };
  }

  if (existsSync(want.path) && !isEmptyDir(want.path)) {
    throw new FactoryError('git', `${want.path} exists but is not a worktree of this repository; move it away so the worktree can be created`);
  }

  const branchExists = await git.branchExists(repo, want.branch, call);
  if (!branchExists && !opts.allowNewBranch) throw new BranchGoneError(want.branch, want.path);
  let created;
  try {
    const create = (): Promise<CreateWorktreeResult> => git.createWorktree(repo, { path: want.path, branch: want.branch, base: want.base }, call);
    created = adminName ? await withAdminNameTaken(repo, adminName, create, signal) : await create();
  } catch (err) {
    // Another window or the runner may have created it a moment ago.
    const raced = findPresent(await git.listWorktrees(repo, call).catch(() => []), want);
    if (raced) return raced;
    throw err;
  }
  // An adapter may pick another folder (the editor's git makes paths unique): record where it is.
  return { worktree: { ...want, path: created.path }, action: branchExists ? 'recreated' : 'created' };
}

function findPresent(list: readonly WorktreeEntry[], want: Worktree): MaterializeResult | undefined {
  return isWorktreePresent(list, want.path) ? { worktree: want, action: 'present' } : undefined;
}

/** Registered, and its folder is there. */
export function isWorktreePresent(list: readonly WorktreeEntry[], path: string): boolean {
  const at = list.find((e) => samePath(e.path, path));
  return at !== undefined && !at.prunable && existsSync(path);
}

function isEmptyDir(path: string): boolean {
  try {
    return readdirSync(path).length === 0;
  } catch {
    return false;
  }
}
