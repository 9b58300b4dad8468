/**
 * Brings a removed worktree back from its salvage: registered again, on its branch when that
 * still points where it did (or recreated when it is gone), its admin state as it was (index,
 * reflog, ORIG_HEAD, a rebase in progress), every saved file as its exact bytes. The result is
 * compared with the salvage file by file before it is reported as done.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { FactoryError } from '../../domain/errors';
import { samePath } from '../paths';
import { parseWorktreeList } from '../porcelain';
import { runGit, tryGit } from '../runGit';
import { adminDirOfFolder } from './adminFolder';
import { extractArchive } from './archive';
import { materializeSalvage, verifySalvage, type SalvageManifest } from './salvage';

/** Admin files that belong to the new registration, not to the salvaged one. */
const OWN_ADMIN_FILES = new Set(['gitdir', 'commondir', 'locked', 'HEAD']);

export interface RestoreRequest {
  repo: string;
  manifest: SalvageManifest;
  archiveDir: string;
  /** Where the worktree goes: must not exist, or be an empty folder. */
  target: string;
  /** Locks the restored worktree with this reason (so no cleanup takes it again unasked). */
  lockReason?: string | undefined;
  signal?: AbortSignal | undefined;
}

export interface RestoreResult {
  path: string;
  /** The branch it is on; undefined when detached. */
  branch?: string | undefined;
  /** What differs from the salvaged state and why ("detached: factory/T-1-x has moved on"). */
  notes: string[];
  /** Differences between the restored folder and the salvage; empty when exact. */
  differences: string[];
}

export async function restoreFromSalvage(req: RestoreRequest): Promise<RestoreResult> {
  const { repo, manifest, signal } = req;
  if (manifest.folderGone && !manifest.commits.worktree) {
    throw new FactoryError('invalid-input', `salvage ${manifest.id} holds only the git state of a folder that was already gone; its commits are under ${manifest.refPrefix}`);
  }
  if (existsSync(req.target) && readdirSync(req.target).length > 0) {
    throw new FactoryError('invalid-input', `${req.target} exists and is not empty; choose another place to restore to`);
  }
  const notes: string[] = [];
  const start = manifest.head ?? 'HEAD';
  await runGit(repo, ['worktree', 'add', '--no-checkout', '--detach', '--', req.target, start], { signal });
  const admin = await adminDirOfFolder(req.target);
  if (!admin) throw new FactoryError('git', `git did not register ${req.target} as a worktree`);

  const branch = await attachHead(req, notes);
  // The admin state as it was: raw index, reflog, ORIG_HEAD, per-worktree refs, rebase state.
  await extractArchive(join(req.archiveDir, manifest.adminArchive), admin, { only: (p) => !OWN_ADMIN_FILES.has(p.split('/')[0] ?? '') });
  await materializeSalvage(repo, manifest, req.archiveDir, req.target, { signal });
  if (manifest.leftOut.length > 0) {
    notes.push(`not in the salvage, so not restored: ${manifest.leftOut.slice(0, 5).map((l) => `${l.path} (${l.why})`).join(', ')}${manifest.leftOut.length > 5 ? ` and ${manifest.leftOut.length - 5} more` : ''}`);
  }
  if (req.lockReason) await runGit(repo, ['worktree', 'lock', '--reason', req.lockReason, '--', req.target], { signal });
  const differences = await verifySalvage(repo, manifest, req.archiveDir, req.target, signal);
  return { path: req.target, branch, notes, differences };
}

/** HEAD on the salvaged branch when that is safe, else detached at the salvaged commit. */
async function attachHead(req: RestoreRequest, notes: string[]): Promise<string | undefined> {
  const { repo, manifest, signal } = req;
  const ref = manifest.headRef;
  if (!ref) return undefined;
  const name = ref.replace(/^refs\/heads\//, '');
  const now = (await tryGit(repo, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { signal }))?.trim() || undefined;
  const elsewhere = parseWorktreeList(await runGit(repo, ['worktree', 'list', '--porcelain', '-z'], { signal })).find(
    (e) => e.branch === name && !samePath(e.path, req.target),
  );
  if (elsewhere) {
    notes.push(`detached at ${short(manifest.head)}: ${name} is checked out in ${elsewhere.path}`);
    return undefined;
  }
  if (now === undefined && manifest.head) {
    await runGit(repo, ['update-ref', ref, manifest.head, ''], { signal });
    notes.push(`recreated the branch ${name} at ${short(manifest.head)}`);
  } else if (now !== manifest.head) {
    notes.push(`detached at ${short(manifest.head)}: ${name} has moved to ${short(now)} since`);
    return undefined;
  }
  await runGit(req.target, ['symbolic-ref', 'HEAD', ref], { signal });
  return name;
}

function short(sha: string | undefined): string {
  return sha ? sha.slice(0, 12) : 'no commit';
}
