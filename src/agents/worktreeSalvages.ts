/**
 * Salvages on a board: the one way a worktree is removed (saved, verified, removed all or nothing,
 * recorded), the git state of a registration whose folder is gone, "Restore Worktree", and the
 * explicit deletion of a salvage. Shared by the Worktree agent, "Clean Up Worktrees", the restore
 * and delete commands and the CLI.
 */
import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { FactoryError, errorMessage } from '../domain/errors';
import { isTicketId } from '../domain/ids';
import { formatBytes, type NewSalvage, type Salvage, type SalvageSummary } from '../domain/salvage';
import type { Worktree } from '../domain/ticket';
import { describeUsers, folderInUse } from '../git/folderInUse';
import { isInside, samePath } from '../git/paths';
import { gitWithInput } from '../git/gitStream';
import { objectsNamedIn, registrationOf, type Registration } from '../git/salvage/adminFolder';
import type { WorktreeInventory } from '../git/salvage/inventory';
import { restoreFromSalvage } from '../git/salvage/restore';
import { removeAllOrNothing } from '../git/salvage/safeRemoval';
import { createSalvage, deleteSalvageRefs, materializeSalvage, readManifest, verifySalvage, type SalvageManifest } from '../git/salvage/salvage';
import { runGit, tryGit } from '../git/runGit';
import type { Board } from '../store/api';
import { newEntityId } from '../store/boardData';

const MB = 1024 * 1024;
const SUMMARY_NAMES = 50;

export interface SalvageSettings {
  regenerableFolders: readonly string[];
  salvageIgnoredMaxMB: number;
}

/** `<board>/salvage`: every salvage's archive folder lies below it. */
export function salvageRoot(board: Board): string {
  return join(board.dir, 'salvage');
}

export interface RemoveRequest {
  path: string;
  ticketId?: string | undefined;
  /** Why it is removed, recorded on the salvage ("clean and merged into main"). */
  reason: string;
  settings: SalvageSettings;
  /** An inventory taken moments ago (it is taken again when absent). */
  inventory?: WorktreeInventory | undefined;
  /**
   * The automatic path: remove only when the salvage holds nothing a ref does not already have
   * (every file's bytes on disk equal to HEAD's, the index too, nothing archived but empty
   * folders). Otherwise throws NeedsConfirmationError and leaves everything as it was.
   */
  onlyWhenNothingUnsaved?: boolean | undefined;
  signal?: AbortSignal | undefined;
}

/** The automatic path found work only a salvage would keep: a person has to confirm the removal. */
export class NeedsConfirmationError extends FactoryError {
  constructor(readonly why: string) {
    super('git', why);
    this.name = 'NeedsConfirmationError';
  }
}

/**
 * Saves the worktree at `path` completely, verifies the salvage against every file, and removes
 * the folder and its registration all or nothing. Resolves with the recorded salvage; throws with
 * the reason when the worktree was kept (it then is exactly as it was).
 */
export async function removeWithSalvage(board: Board, req: RemoveRequest): Promise<Salvage> {
  const repo = board.repoRoot;
  const reg = await registrationOf(repo, req.path, req.signal);
  if (!reg) throw new FactoryError('not-found', `${req.path} is no longer a worktree of ${repo}`);
  if (reg.locked) throw new FactoryError('git', `${req.path} is locked`);
  const use = await folderInUse(req.path);
  if (use.state === 'busy') throw new FactoryError('git', `in use by ${describeUsers(use.users)}`);
  if (use.state === 'unknown') throw new FactoryError('git', `cannot tell whether a process uses it (${use.why})`);

  const { manifest, record } = await salvageRegistration(board, reg, { ...req, folder: req.path });
  let recorded: Salvage | undefined;
  try {
    if (req.onlyWhenNothingUnsaved) {
      const unsaved = await onlyInSalvage(repo, manifest, req.signal);
      if (unsaved) throw new NeedsConfirmationError(unsaved);
    }
    await removeAllOrNothing(
      repo,
      req.path,
      manifest.id,
      {
        verify: (folder) => verifySalvage(repo, manifest, record.archiveDir, folder, req.signal),
        commit: async () => void (recorded = await board.write((tx) => tx.addSalvage(record))),
        fillIn: (folder) => materializeSalvage(repo, manifest, record.archiveDir, folder, { keepExisting: true }),
      },
      req.signal,
    );
  } catch (err) {
    // A salvage never recorded describes nothing that was removed: it goes. A recorded one stays.
    if (!recorded) await discard(repo, manifest.refPrefix, record.archiveDir);
    throw err;
  }
  return recorded!;
}

/**
 * A registration whose folder is gone (deleted, or moved where we could not find it): what only
 * its admin folder still holds (detached commits, staged content, the reflog) is saved when there
 * is any, then the registration is dropped. Resolves with the salvage, or undefined when there was
 * nothing to keep.
 */
export async function retireRegistration(board: Board, reg: Registration, req: { ticketId?: string | undefined; reason: string; settings: SalvageSettings; signal?: AbortSignal | undefined }): Promise<Salvage | undefined> {
  const repo = board.repoRoot;
  let salvage: Salvage | undefined;
  if (await adminStateIsUnique(repo, reg.adminDir, req.signal)) {
    const { record } = await salvageRegistration(board, reg, { ...req, folder: undefined });
    salvage = await board.write((tx) => tx.addSalvage(record));
  }
  if (reg.worktreePath) await runGit(repo, ['worktree', 'remove', '--force', '--', reg.worktreePath], { signal: req.signal });
  return salvage;
}

/** retireRegistration for the registration of `path`, when there is one. */
export async function retireMissingWorktree(board: Board, path: string, req: { ticketId?: string | undefined; reason: string; settings: SalvageSettings; signal?: AbortSignal | undefined }): Promise<Salvage | undefined> {
  const reg = await registrationOf(board.repoRoot, path, req.signal);
  return reg ? retireRegistration(board, reg, req) : undefined;
}

async function salvageRegistration(
  board: Board,
  reg: Registration,
  req: { folder: string | undefined; ticketId?: string | undefined; reason: string; settings: SalvageSettings; inventory?: WorktreeInventory | undefined; signal?: AbortSignal | undefined },
): Promise<{ manifest: SalvageManifest; record: NewSalvage }> {
  const id = newEntityId('sv');
  const owner = req.ticketId && isTicketId(req.ticketId) ? req.ticketId : 'orphans';
  const archiveDir = join(salvageRoot(board), owner, id);
  const { manifest } = await createSalvage({
    repo: board.repoRoot,
    worktree: req.folder,
    adminDir: reg.adminDir,
    id,
    owner,
    archiveDir,
    regenerable: req.settings.regenerableFolders,
    ignoredCapBytes: req.settings.salvageIgnoredMaxMB * MB,
    message: `${req.ticketId ?? 'worktree'} at ${reg.worktreePath ?? req.folder ?? '?'}: ${req.reason}`,
    inventory: req.inventory,
    signal: req.signal,
  });
  const record: NewSalvage = {
    id,
    ticketId: req.ticketId,
    worktreePath: reg.worktreePath ?? req.folder ?? '',
    branch: manifest.headRef?.replace(/^refs\/heads\//, ''),
    head: manifest.head,
    refPrefix: manifest.refPrefix,
    archiveDir,
    savedBytes: manifest.fileBytes + manifest.archivedBytes,
    storedBytes: manifest.storedBytes,
    reason: req.reason,
    summary: summaryOf(manifest),
  };
  return { manifest, record };
}

function summaryOf(m: SalvageManifest): SalvageSummary {
  return {
    files: m.files,
    archived: m.archived.slice(0, SUMMARY_NAMES).map((a) => a.path),
    archivedCount: m.archived.length,
    leftOut: m.leftOut.slice(0, SUMMARY_NAMES),
    leftOutCount: m.leftOut.length,
    nestedRepos: m.nestedRepos.slice(0, SUMMARY_NAMES),
    folderGone: m.folderGone,
  };
}

/** True when the admin folder holds something no ref reaches: commits, staged content, conflicts. */
async function adminStateIsUnique(repo: string, adminDir: string, signal?: AbortSignal): Promise<boolean> {
  const adminEnv = { GIT_DIR: adminDir };
  // simple-git reports an exit code without stderr as success, so the answer is read, not the code.
  const staged = await tryGit(repo, ['diff-index', '--cached', '--name-only', 'HEAD', '--'], { signal, extraEnv: adminEnv });
  if (staged === undefined || staged.trim() !== '') return true;
  const { commits, trees } = await objectsNamedIn(repo, adminDir, signal);
  if (trees.length > 0) return true;
  if (commits.length === 0) return false;
  const unreachable = await gitWithInput(
    repo,
    ['rev-list', '-n', '1', '--not', '--branches', '--tags', '--remotes', '--glob=refs/agent-factory/*', '--not', '--stdin'],
    `${commits.join('\n')}\n`,
    { signal },
  );
  return unreachable.trim() !== '';
}

/** What the salvage holds that HEAD does not, in words; undefined when nothing. */
async function onlyInSalvage(repo: string, m: SalvageManifest, signal?: AbortSignal): Promise<string | undefined> {
  if (!m.head) return 'HEAD has no commit';
  const differing = async (commit: string | undefined): Promise<string[]> =>
    commit ? (await runGit(repo, ['diff-tree', '-r', '--name-only', '--no-renames', m.head!, commit, '--'], { signal })).split('\n').filter(Boolean) : [];
  const onDisk = await differing(m.commits.worktree);
  if (onDisk.length > 0) {
    return `files on disk differ from what git stores, though git status shows them clean (a clean filter, line endings or the executable bit): ${onDisk.slice(0, 3).join(', ')}${onDisk.length > 3 ? ` and ${onDisk.length - 3} more` : ''}`;
  }
  const staged = await differing(m.commits.index);
  if (staged.length > 0) return `the index differs from HEAD: ${staged.slice(0, 3).join(', ')}`;
  const archived = m.archived.filter((a) => a.kind !== 'empty-dir');
  if (archived.length > 0) return `holds files only an archive keeps: ${archived.slice(0, 3).map((a) => a.path).join(', ')}`;
  return undefined;
}

async function discard(repo: string, refPrefix: string, archiveDir: string): Promise<void> {
  await deleteSalvageRefs(repo, refPrefix).catch(() => undefined);
  await rm(archiveDir, { recursive: true, force: true }).catch(() => undefined);
}

/** "saved as sv-1a2b (3 files, 1.2 MB) under refs/agent-factory/salvage/T-3/sv-1a2b and .factory/salvage/T-3/sv-1a2b; left out: node_modules (regenerable, 120 MB)". */
export function describeSalvage(s: Salvage): string {
  const parts = [`saved as ${s.id} (${s.summary.files} file${s.summary.files === 1 ? '' : 's'}${s.summary.archivedCount ? ` and ${s.summary.archivedCount} archived` : ''}, ${formatBytes(s.savedBytes)}) under ${s.refPrefix} and ${s.archiveDir}`];
  if (s.summary.leftOutCount > 0) {
    const named = s.summary.leftOut.map((l) => `${l.path} (${l.why}, ${formatBytes(l.bytes)})`).join(', ');
    parts.push(`left out: ${named}${s.summary.leftOutCount > s.summary.leftOut.length ? ` and ${s.summary.leftOutCount - s.summary.leftOut.length} more` : ''}`);
  }
  return parts.join('; ');
}

// ---------------------------------------------------------------- restore and delete

export interface RestoreOptions {
  /** Which salvage: its id, or a ticket id for that ticket's newest one. */
  id: string;
  /** Where to; default: where it was, or beside it when that place is taken. */
  to?: string | undefined;
  signal?: AbortSignal | undefined;
}

export interface RestoreOutcome {
  salvage: Salvage;
  path: string;
  branch?: string | undefined;
  notes: string[];
  /** Differences from the salvage; empty when every byte came back. */
  differences: string[];
  /** True when the ticket now records the restored worktree. */
  ticketUpdated: boolean;
}

export function findSalvage(board: Board, id: string): Salvage {
  const named = id;
  if (isTicketId(id)) {
    const restorable = board.listSalvages({ ticketId: id }).filter((s) => !s.summary.folderGone);
    const newest = restorable[restorable.length - 1];
    if (!newest) throw new FactoryError('not-found', `${id} has no salvage to restore a worktree from`);
    return newest;
  }
  const salvage = board.getSalvage(named);
  if (!salvage) throw new FactoryError('not-found', `there is no salvage ${named} on this board`);
  return salvage;
}

export async function restoreWorktree(board: Board, opts: RestoreOptions): Promise<RestoreOutcome> {
  const repo = board.repoRoot;
  const salvage = findSalvage(board, opts.id);
  const archiveDir = checkedArchiveDir(board, salvage);
  const manifest = await readManifest(archiveDir);
  const target = opts.to ?? (await freePlaceNear(salvage.worktreePath));
  const ticket = salvage.ticketId ? board.getTicket(salvage.ticketId) : undefined;
  // A finished ticket's worktree comes back locked, so the Worktree agent does not take it again.
  const lockReason = !ticket || ticket.status === 'DONE' ? `restored from salvage ${salvage.id}; unlock it to let Agent Factory clean it up` : undefined;
  const result = await restoreFromSalvage({ repo, manifest, archiveDir, target, lockReason, signal: opts.signal });
  let ticketUpdated = false;
  await board.write((tx) => {
    tx.markSalvageRestored(salvage.id, result.path);
    const current = salvage.ticketId ? tx.getTicket(salvage.ticketId) : undefined;
    if (!current) return;
    const recorded = current.worktree;
    if (recorded && existsSync(recorded.path) && !samePath(recorded.path, result.path)) return;
    const worktree: Worktree = {
      path: result.path,
      branch: result.branch ?? recorded?.branch ?? salvage.branch ?? '',
      base: recorded?.base ?? '',
    };
    if (worktree.branch && worktree.base) {
      tx.updateTicket(current.id, { worktree });
      ticketUpdated = true;
    }
  });
  if (!ticketUpdated && ticket?.worktree && existsSync(ticket.worktree.path)) {
    result.notes.push(`${ticket.id} keeps working in ${ticket.worktree.path}; the restored copy is beside it`);
  }
  return { salvage, path: result.path, branch: result.branch, notes: result.notes, differences: result.differences, ticketUpdated };
}

/** Deletes a salvage on explicit request: its refs, its archive folder and its record. */
export async function deleteSalvage(board: Board, id: string): Promise<Salvage> {
  const salvage = board.getSalvage(id);
  if (!salvage) throw new FactoryError('not-found', `there is no salvage ${id} on this board`);
  await deleteSalvageRefs(board.repoRoot, salvage.refPrefix);
  await rm(checkedArchiveDir(board, salvage), { recursive: true, force: true });
  await board.write((tx) => tx.deleteSalvage(salvage.id));
  return salvage;
}

/** The record's archive folder, refused unless it lies inside the board's salvage folder. */
function checkedArchiveDir(board: Board, salvage: Salvage): string {
  if (!isInside(salvageRoot(board), salvage.archiveDir)) {
    throw new FactoryError('invalid-input', `salvage ${salvage.id} names ${salvage.archiveDir}, outside ${salvageRoot(board)}; not touched`);
  }
  return salvage.archiveDir;
}

/** `path` when it is free, else `path-restored`, `path-restored-2`, ... */
async function freePlaceNear(path: string): Promise<string> {
  const free = async (p: string): Promise<boolean> => {
    try {
      return (await readdir(p)).length === 0;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
      throw new FactoryError('invalid-input', `cannot look at ${p}: ${errorMessage(err)}`);
    }
  };
  if (await free(path)) return path;
  for (let i = 1; ; i++) {
    const candidate = `${path}-restored${i === 1 ? '' : `-${i}`}`;
    if (await free(candidate)) return candidate;
  }
}
