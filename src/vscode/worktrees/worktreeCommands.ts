import * as path from 'node:path';
import * as vscode from 'vscode';
import type { CleanupItem, WorktreeAgent } from '../../agents/worktreeAgent';
import { isTicketId } from '../../domain/ids';
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

/** "Open Worktree" and "Clean Up Worktrees". */
export function registerWorktreeCommands(deps: WorktreeCommandDeps): vscode.Disposable {
  return vscode.Disposable.from(
    registerGuardedCommand(Commands.OpenWorktree, deps.log, ((arg) => openWorktree(deps, arg))),
    registerGuardedCommand(Commands.CleanUpWorktrees, deps.log, (() => cleanUp(deps))),
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
 * with uncommitted work are removed only when picked explicitly, after their changes are saved
 * as a patch under the board's backups folder.
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
    ...removable.map((item) => ({ label: plainLabel(item.ticketId ?? path.basename(item.path)), description: plainLabel(item.branch ?? ''), detail: plainLabel(item.why), picked: true, item })),
    ...(confirmable.length ? [{ label: 'Uncommitted or unmerged work: a patch is saved before removal', kind: vscode.QuickPickItemKind.Separator }] : []),
    ...confirmable.map((item) => ({ label: plainLabel(item.ticketId ?? path.basename(item.path)), description: plainLabel(item.branch ?? ''), detail: plainLabel(item.why), picked: false, item })),
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
      detail: dirty.length
        ? `${dirty.length} of them hold uncommitted changes; those are saved as patches under ${path.join(board.dir, 'backups')} first. Branches are kept.`
        : 'They are clean and merged. Branches are kept.',
    },
    'Remove',
  );
  if (answer !== 'Remove') return;
  const result = await deps.agent.executeCleanup(
    board,
    { ...plan, items: selected },
    { confirmedDirty: dirty.map((i) => i.path) },
  );
  for (const r of result.removed) deps.log.info(`Removed worktree ${r.path}${r.backup ? ` (changes saved to ${r.backup})` : ''}`);
  for (const s of result.skipped) deps.log.warn(`Kept worktree ${s.path}: ${s.reason}`);
  void deps.prompter.current.info(
    `Removed ${result.removed.length} worktree${result.removed.length === 1 ? '' : 's'}${result.skipped.length ? `, kept ${result.skipped.length} (see the log)` : ''}.`,
  );
}
