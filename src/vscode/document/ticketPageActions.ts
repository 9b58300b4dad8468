import * as vscode from 'vscode';
import { isDismissed, SECURITY_AUTHOR } from '../../domain/gates';
import { isLive, type Run } from '../../domain/run';
import { isActive, legalTargets } from '../../domain/status';
import type { Ticket } from '../../domain/ticket';
import type { Board } from '../../store/api';
import { Commands } from '../constants';
import { Disposable } from '../util/disposable';
import { logPath, TITLE_LINE } from './renderTicket';
import type { TicketDocumentProvider } from './ticketDocumentProvider';

/** What an action on the title line needs to decide whether it shows. */
export interface PageState {
  ticket: Ticket;
  /** The ticket's queued or running run, if any. */
  live: Run | undefined;
  /** The latest run with a log. */
  lastLog: { run: Run; fsPath: string } | undefined;
}

export interface TitleAction {
  title: string;
  command: string;
  tooltip: string;
  shows(state: PageState): boolean;
  args(state: PageState): unknown[];
}

const hasWorktree = (s: PageState): boolean => s.ticket.worktree !== undefined;

/**
 * The ticket page's actions, on its title line, in this order. An action whose command is not
 * registered in this window is left out, so commands another feature contributes (Review Changes,
 * Land) appear here as soon as they exist: adding one is one entry in this list.
 */
export const TITLE_ACTIONS: readonly TitleAction[] = [
  {
    title: '$(play) Start',
    command: Commands.StartTicket,
    tooltip: 'Start the agent of its stage (or a terminal in its worktree)',
    shows: (s) => !s.live && (s.ticket.status === 'READY' || isActive(s.ticket.status)),
    args: (s) => [s.ticket.id],
  },
  {
    title: '$(debug-stop) Stop',
    command: Commands.CancelRun,
    tooltip: 'Stop the run working on it',
    shows: (s) => s.live !== undefined,
    args: (s) => [s.live?.id],
  },
  {
    title: '$(arrow-swap) Move…',
    command: Commands.MoveTicket,
    tooltip: 'Move it to another status',
    shows: (s) => legalTargets(s.ticket.status, 'user', s.ticket.blockedFrom).length > 0,
    args: (s) => [s.ticket.id],
  },
  {
    title: '$(circle-slash) Block',
    command: Commands.BlockTicket,
    tooltip: 'Block it, with the reason',
    shows: (s) => legalTargets(s.ticket.status, 'user', s.ticket.blockedFrom).includes('BLOCKED'),
    args: (s) => [s.ticket.id],
  },
  {
    title: '$(pass) Unblock',
    command: Commands.UnblockTicket,
    tooltip: 'Send it back to where it was blocked from, or to Ready',
    shows: (s) => s.ticket.status === 'BLOCKED',
    args: (s) => [s.ticket.id],
  },
  {
    title: '$(edit) Edit',
    command: Commands.EditTicket,
    tooltip: 'Edit its title, description, acceptance criteria, priority, type, labels or dependencies',
    shows: () => true,
    args: (s) => [s.ticket.id],
  },
  {
    title: '$(comment) Message the Agent',
    command: Commands.MessageAgent,
    tooltip: 'Write to the agent working it (it reads its inbox)',
    shows: (s) => s.ticket.status !== 'DONE',
    args: (s) => [s.ticket.id],
  },
  {
    title: '$(diff) Review Changes',
    command: Commands.ReviewChanges,
    tooltip: "Review the ticket's changes against its base",
    shows: hasWorktree,
    args: (s) => [s.ticket.id],
  },
  {
    title: '$(git-merge) Land',
    command: Commands.LandTicket,
    tooltip: 'Land the ticket on its base branch',
    shows: (s) => hasWorktree(s) && s.ticket.status !== 'BACKLOG' && s.ticket.status !== 'READY',
    args: (s) => [s.ticket.id],
  },
  {
    title: '$(folder-opened) Open Worktree',
    command: Commands.OpenWorktree,
    tooltip: 'Open its worktree in a terminal or a new window',
    shows: hasWorktree,
    args: (s) => [s.ticket.id],
  },
  {
    title: '$(output) Open Log',
    command: 'vscode.open',
    tooltip: "Open the latest run's log",
    shows: (s) => s.lastLog !== undefined,
    args: (s) => (s.lastLog ? [vscode.Uri.file(s.lastLog.fsPath)] : []),
  },
];

/**
 * CodeLens on the ticket page: the title line's actions (TITLE_ACTIONS), Open Log and Stop on
 * each run's line, Dismiss Finding on each open Security finding's line.
 */
export class TicketPageActions extends Disposable implements vscode.CodeLensProvider {
  private readonly changed = this._register(new vscode.EventEmitter<void>());
  readonly onDidChangeCodeLenses = this.changed.event;

  constructor(
    private readonly pages: TicketDocumentProvider,
    private readonly getBoard: () => Board | undefined,
  ) {
    super();
    this._register(pages.onDidRender(() => this.changed.fire()));
  }

  async provideCodeLenses(document: vscode.TextDocument): Promise<vscode.CodeLens[]> {
    const page = this.pages.pageOf(document);
    const board = this.getBoard();
    const ticket = page && board?.getTicket(page.ticketId);
    if (!page || !board || !ticket) return [];
    const registered = new Set(await vscode.commands.getCommands(true));
    const runs = board.listRuns({ ticketId: ticket.id }).sort((a, b) => b.startedAt - a.startedAt);
    const logged = runs.find((r) => r.logFile !== undefined);
    const lastLogPath = logged ? logPath(board.dir, logged.id) : undefined;
    const state: PageState = { ticket, live: runs.find(isLive), lastLog: logged && lastLogPath ? { run: logged, fsPath: lastLogPath } : undefined };
    const lens = (line: number, title: string, command: string, args: unknown[], tooltip?: string) =>
      new vscode.CodeLens(new vscode.Range(line, 0, line, 0), { title, command, arguments: args, ...(tooltip ? { tooltip } : {}) });

    // Restricted Mode changes nothing and runs nothing: only reading a log is offered there.
    const trusted = vscode.workspace.isTrusted;
    const lenses = TITLE_ACTIONS.filter((a) => (trusted || a.command === 'vscode.open') && registered.has(a.command) && a.shows(state)).map((a) =>
      lens(TITLE_LINE, a.title, a.command, a.args(state), a.tooltip),
    );
    for (const run of runs) {
      const line = page.runLines.get(run.id);
      if (line === undefined) continue;
      const log = run.logFile ? logPath(board.dir, run.id) : undefined;
      if (log) lenses.push(lens(line, 'Open Log', 'vscode.open', [vscode.Uri.file(log)]));
      if (isLive(run) && trusted) lenses.push(lens(line, 'Stop', Commands.CancelRun, [run.id]));
    }
    if (registered.has(Commands.DismissFinding) && trusted) {
      for (const bug of board.listBugs(ticket.id)) {
        const line = page.bugLines.get(bug.id);
        if (line === undefined || bug.foundBy !== SECURITY_AUTHOR || bug.fixed || isDismissed(bug)) continue;
        lenses.push(lens(line, 'Dismiss Finding', Commands.DismissFinding, [{ ticketId: ticket.id, bugId: bug.id }], 'False positive, test data or an accepted risk: the Security gate lets it pass'));
      }
    }
    return lenses;
  }
}
