import * as path from 'node:path';
import * as vscode from 'vscode';
import type { CleanupItem, WorktreeAgent } from '../../agents/worktreeAgent';
import { deleteSalvage, restoreWorktree } from '../../agents/worktreeSalvages';
import { isTicketId } from '../../domain/ids';
import { formatBytes, type Salvage } from '../../domain/salvage';
import type { Board } from '../../store/api';
import { localDateTime } from '../util/localTime';
import type { BoardSession } from '../boardSession';
import { Commands } from '../constants';
import { oneLine, plainLabel } from '../document/untrustedText';
import type { PrompterHolder } from '../ui/prompter';
import { requireTrust } from '../trust/restrictedMode';
import { registerGuardedCommand } from '../util/guardedCommand';

export interface WorktreeCommandDeps {
  session: BoardSession;
  prompter: PrompterHolder;
  log: vscode.LogOutputChannel;
  agent: WorktreeAgent;
}

/** A ticket id from a tree item, a ticket object or a plain id. */
export function ticketIdOf(arg: unknown): string | undefined {
  if (isTicketId(arg)) return arg;
  const candidate = (arg as { ticket?: { id?: unknown }; id?: unknown } | undefined);
  const id = candidate?.ticket?.id ?? candidate?.id;
  return isTicketId(id) ? id : undefined;
}

function describeItem(item: CleanupItem): string {
  return `${item.ticketId ?? path.basename(item.path)}: ${item.why}`;
}

/** "Open Worktree", "Clean Up Worktrees", "Restore Worktree" and "Delete Salvage". */
export function registerWorktreeCommands(deps: WorktreeCommandDeps): vscode.Disposable {
  return vscode.Disposable.from(
    registerGuardedCommand(Commands.OpenWorktree, deps.log, ((arg) => openWorktree(deps, arg))),
    registerGuardedCommand(Commands.CleanUpWorktrees, deps.log, (() => cleanUp(deps))),
    registerGuardedCommand(Commands.RestoreWorktree, deps.log, ((arg) => restore(deps, arg))),
    registerGuardedCommand(Commands.DeleteSalvage, deps.log, ((arg) => removeSalvage(deps, arg))),
  );
}

async function openWorktree(deps: WorktreeCommandDeps, arg: unknown): Promise<void> {
  requireTrust('Open Worktree');
  const board = deps.session.board;
  if (!board) throw new Error('there is no board in this workspace');
  let id = ticketIdOf(arg);
  if (!id) {
    const withWorktrees = board.listTickets().filter((t) => t.worktree);
    const picked = await deps.prompter.current.quickPick(
      withWorktrees.map((t) => ({ label: t.id, description: plainLabel(t.title), detail: plainLabel(t.worktree!.path) })),
      { placeHolder: 'Open the worktree of which ticket?' },
    );
    id = picked?.label;
  }
  if (!id) return;
  const ticket = board.getTicket(id);
  if (!ticket?.worktree) throw new Error(`${id} has no worktree yet: start it first`);
  const folder = vscode.Uri.file(ticket.worktree.path);
  try {
    await vscode.workspace.fs.stat(folder);
  } catch {
    throw new Error(`the worktree of ${id} is missing (${ticket.worktree.path}); the Worktree agent recreates it from its branch on its next cycle`);
  }
  const choice = await deps.prompter.current.quickPick(
    [
      { label: 'Open in Terminal', description: 'a terminal in this window, in the worktree', action: 'terminal' as const },
      { label: 'Open in New Window', description: plainLabel(ticket.worktree.path), action: 'window' as const },
    ],
    { placeHolder: `${id}: ${oneLine(ticket.worktree.branch)}` },
  );
  if (!choice) return;
  if (choice.action === 'terminal') {
    vscode.window.createTerminal({ name: `${id} worktree`, cwd: ticket.worktree.path }).show();
  } else {
    await vscode.commands.executeCommand('vscode.openFolder', folder, { forceNewWindow: true });
  }
}

/**
 * Shows what would be removed and what is kept and why, then acts on confirmation. Worktrees
 * with work in them are removed only when picked explicitly; every removal saves everything
 * first (a salvage "Restore Worktree" brings back) and says what it left out.
 */
async function cleanUp(deps: WorktreeCommandDeps): Promise<void> {
  requireTrust('Clean Up Worktrees');
  const board = deps.session.board;
  if (!board) throw new Error('there is no board in this workspace');
  const plan = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Checking worktrees…' },
    () => deps.agent.planCleanup(board),
  );
  const removable = plan.items.filter((i) => i.decision === 'remove');
  const confirmable = plan.items.filter((i) => i.decision === 'confirm');
  const kept = plan.items.filter((i) => i.decision === 'keep');
  for (const item of kept) deps.log.info(`Clean up: keeping ${describeItem(item)}`);
  if (removable.length === 0 && confirmable.length === 0) {
    void deps.prompter.current.info(`Nothing to clean up.${kept.length ? ` Kept ${kept.length}: ${kept.map(describeItem).join('; ')}` : ''}`);
    return;
  }
  type Pick = vscode.QuickPickItem & { item?: CleanupItem };
  const picks: Pick[] = [
    ...(removable.length ? [{ label: 'Clean and merged', kind: vscode.QuickPickItemKind.Separator }] : []),
    ...removable.map((item) => ({ label: plainLabel(item.ticketId ?? path.basename(item.path)), description: plainLabel(item.branch ?? ''), detail: plainLabel(withLeftOut(item)), picked: true, item })),
    ...(confirmable.length ? [{ label: 'Work git status may not show: all of it is salvaged before removal', kind: vscode.QuickPickItemKind.Separator }] : []),
    ...confirmable.map((item) => ({ label: plainLabel(item.ticketId ?? path.basename(item.path)), description: plainLabel(item.branch ?? ''), detail: plainLabel(withLeftOut(item)), picked: false, item })),
  ];
  const chosen = await deps.prompter.current.quickPickMany(picks, {
    placeHolder: `Select the worktrees to remove${kept.length ? ` (${kept.length} kept: see the log)` : ''}`,
    ignoreFocusOut: true,
  });
  const selected = (chosen ?? []).flatMap((p) => (p.item ? [p.item] : []));
  if (selected.length === 0) return;
  const dirty = selected.filter((i) => i.decision === 'confirm');
  const answer = await deps.prompter.current.warning(
    `Remove ${selected.length} worktree${selected.length === 1 ? '' : 's'}?`,
    {
      modal: true,
      detail:
        `${dirty.length ? `${dirty.length} of them hold work. ` : ''}Everything in them is saved first (commits under refs/agent-factory/salvage/, ` +
        `ignored files in ${path.join(board.dir, 'salvage')}) and checked file by file; "Restore Worktree" brings them back. ` +
        'Regenerable folders and what exceeds agentFactory.worktrees.salvageIgnoredMaxMB are left out and named. Branches are kept.',
    },
    'Remove',
  );
  if (answer !== 'Remove') return;
  const result = await deps.agent.executeCleanup(
    board,
    { ...plan, items: selected },
    { confirmedDirty: dirty.map((i) => i.path) },
  );
  for (const r of result.removed) deps.log.info(`Removed worktree ${r.path}: ${r.report}`);
  for (const s of result.skipped) deps.log.warn(`Kept worktree ${s.path}: ${s.reason}`);
  const leftOut = result.removed.filter((r) => r.salvage.summary.leftOutCount > 0).length;
  void deps.prompter.current.info(
    `Removed ${result.removed.length} worktree${result.removed.length === 1 ? '' : 's'}, each salvaged first` +
      `${leftOut ? ` (${leftOut} with regenerable or oversized files left out, named in the log)` : ''}` +
      `${result.skipped.length ? `; kept ${result.skipped.length} (see the log)` : ''}.`,
  );
}

function withLeftOut(item: CleanupItem): string {
  return item.regenerable?.length ? `${item.why}; left out as regenerable: ${item.regenerable.slice(0, 3).join(', ')}` : item.why;
}

type SalvagePick = vscode.QuickPickItem & { salvage: Salvage };

/** The salvage an argument names (a salvage id, a ticket's newest), or the one the user picks. */
async function pickSalvage(deps: WorktreeCommandDeps, board: Board, arg: unknown, purpose: string, only: (s: Salvage) => boolean): Promise<Salvage | undefined> {
  const given = typeof arg === 'string' && /^sv-[0-9a-z]+$/.test(arg) ? board.getSalvage(arg) : undefined;
  if (given) return given;
  const ticketId = ticketIdOf(arg);
  const candidates = board.listSalvages(ticketId ? { ticketId } : {}).filter(only).reverse();
  if (candidates.length === 0) throw new Error(ticketId ? `${ticketId} has no salvage to ${purpose}` : `there is no salvage to ${purpose}`);
  if (ticketId && candidates.length === 1) return candidates[0];
  const picked = await deps.prompter.current.quickPick<SalvagePick>(
    candidates.map((salvage) => ({
      label: plainLabel(`${salvage.ticketId ?? path.basename(salvage.worktreePath)} · ${salvage.id}`),
      description: `${localDateTime(salvage.createdAt, vscode.env.language)} · ${formatBytes(salvage.savedBytes)}${salvage.restoredAt ? ' · restored before' : ''}`,
      detail: plainLabel(`${salvage.worktreePath}: ${salvage.reason}`),
      salvage,
    })),
    { placeHolder: `Which salvage to ${purpose}?` },
  );
  return picked?.salvage;
}

/** "Restore Worktree": a removed worktree back from its salvage, byte for byte. */
async function restore(deps: WorktreeCommandDeps, arg: unknown): Promise<void> {
  requireTrust('Restore Worktree');
  const board = deps.session.board;
  if (!board) throw new Error('there is no board in this workspace');
  const salvage = await pickSalvage(deps, board, arg, 'restore', (s) => !s.summary.folderGone);
  if (!salvage) return;
  const outcome = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Agent Factory: restoring ${salvage.ticketId ?? 'a worktree'} from ${salvage.id}…` },
    () => restoreWorktree(board, { id: salvage.id }),
  );
  for (const note of outcome.notes) deps.log.info(`Restore ${salvage.id}: ${note}`);
  if (outcome.differences.length > 0) {
    deps.log.warn(`Restore ${salvage.id}: differences from the salvage: ${outcome.differences.join('; ')}`);
    void deps.prompter.current.warning(`Restored ${outcome.path}, but ${outcome.differences.length} file(s) differ from the salvage (see the log). The salvage is kept.`, {});
    return;
  }
  void deps.prompter.current.info(
    `Restored ${salvage.ticketId ? `${salvage.ticketId}'s worktree` : 'the worktree'} at ${outcome.path}${outcome.branch ? ` on ${outcome.branch}` : ' (detached)'}, every saved file exact.` +
      `${outcome.notes.length ? ` ${outcome.notes.join('; ')}.` : ''}`,
  );
}

/** "Delete Salvage…": the only way a salvage goes, after a modal confirmation. */
async function removeSalvage(deps: WorktreeCommandDeps, arg: unknown): Promise<void> {
  requireTrust('Delete Salvage');
  const board = deps.session.board;
  if (!board) throw new Error('there is no board in this workspace');
  const salvage = await pickSalvage(deps, board, arg, 'delete', () => true);
  if (!salvage) return;
  const answer = await deps.prompter.current.warning(
    `Delete salvage ${salvage.id}${salvage.ticketId ? ` of ${salvage.ticketId}` : ''} (${formatBytes(salvage.savedBytes)})?`,
    { modal: true, detail: `Its refs under ${salvage.refPrefix} and its archive folder are deleted. What it holds from ${salvage.worktreePath} can no longer be restored.` },
    'Delete',
  );
  if (answer !== 'Delete') return;
  await deleteSalvage(board, salvage.id);
  deps.log.info(`Deleted salvage ${salvage.id} (${salvage.worktreePath})`);
  void deps.prompter.current.info(`Deleted salvage ${salvage.id}.`);
}
