import * as vscode from 'vscode';
import type { Logger } from '../../agents/agent';
import { errorMessage } from '../../domain/errors';
import { isTicketId } from '../../domain/ids';
import { legalTargets, type Status } from '../../domain/status';
import type { Ticket } from '../../domain/ticket';
import type { Board } from '../../store/api';
import type { TicketCommentController } from '../comments/ticketCommentController';
import { Commands, ContextKeys } from '../constants';
import { CONVERSATIONS_LINE } from '../document/renderTicket';
import { ticketDocumentUri, ticketIdOfDocument } from '../document/ticketUri';
import { oneLine, plainLabel } from '../document/untrustedText';
import { requireTrust } from '../trust/restrictedMode';
import { messageAgent, type SentMessage } from '../../loop/inbox';
import { editTicket, type TicketEditResult } from '../../loop/ticketEdits';
import { describeHistory } from '../../domain/vocabulary';
import type { PrompterHolder } from '../ui/prompter';
import { promptNewTicket } from './createTicketPrompts';
import { promptTicketEdit } from './editTicketPrompts';
import { formatTicketFilter, parseTicketFilter } from './ticketFilter';
import type { MoveOutcome, TicketMover } from './ticketMover';
import { isTicketNode, type TicketTreeNode } from './ticketTreeNodes';
import type { TicketTreeModel } from './ticketTreeModel';
import type { TicketTreeProvider } from './ticketTreeProvider';
import { statusLabel } from '../../domain/vocabulary';

export interface TicketCommandDeps {
  getBoard(): Board | undefined;
  prompter: PrompterHolder;
  log: Logger;
  mover: TicketMover;
  model: TicketTreeModel;
  provider: TicketTreeProvider;
  treeView: vscode.TreeView<TicketTreeNode>;
  comments: TicketCommentController;
}

interface TicketPickItem extends vscode.QuickPickItem {
  ticketId: string;
}

interface StatusPickItem extends vscode.QuickPickItem {
  status: Status;
}

/**
 * The Tickets view's commands. Each takes a tree item (context menus), a ticket id (other
 * commands, tests, the CLI's links) or nothing (the palette: then it asks which ticket).
 */
export function registerTicketCommands(deps: TicketCommandDeps): vscode.Disposable {
  const { prompter, log, mover, model } = deps;

  const requireBoard = (): Board | undefined => {
    const board = deps.getBoard();
    if (!board) void prompter.current.warning('No board is open in this window. Create one from the Tickets view first.', {});
    return board;
  };

  /** The ticket a command is about, or undefined (after saying why) when there is none. */
  const ticketFor = async (arg: unknown, placeHolder: string, eligible: (t: Ticket) => boolean = () => true): Promise<Ticket | undefined> => {
    const board = requireBoard();
    if (!board) return undefined;
    // A tree item, an id, or the page's uri (the page's title bar passes its document).
    const id = isTicketNode(arg) ? arg.ticketId : typeof arg === 'string' ? arg.trim() : arg instanceof vscode.Uri ? ticketIdOfDocument(arg) : undefined;
    if (id !== undefined) {
      const ticket = isTicketId(id) ? board.getTicket(id) : undefined;
      if (!ticket) void prompter.current.warning(`There is no ticket ${plainLabel(id).slice(0, 40)} on this board.`, {});
      return ticket;
    }
    const items: TicketPickItem[] = board
      .listTickets()
      .filter(eligible)
      .map((t) => ({ label: `${t.id} ${plainLabel(t.title)}`, description: statusLabel(t.status), ticketId: t.id }));
    if (items.length === 0) {
      void prompter.current.info('No ticket fits this command right now.');
      return undefined;
    }
    const picked = await prompter.current.quickPick(items, { placeHolder, matchOnDescription: true });
    return picked ? board.getTicket(picked.ticketId) : undefined;
  };

  const pickStatus = async (ticket: Ticket, targets: Status[], placeHolder: string): Promise<Status | undefined> => {
    const items: StatusPickItem[] = targets.map((status) => ({
      label: statusLabel(status),
      description: status === ticket.blockedFrom ? 'where it was blocked from' : undefined,
      status,
    }));
    return (await prompter.current.quickPick(items, { placeHolder, title: `${ticket.id} is ${statusLabel(ticket.status)}` }))?.status;
  };

  const openTicket = async (arg: unknown): Promise<vscode.TextEditor | undefined> => {
    const ticket = await ticketFor(arg, 'Open which ticket?');
    if (!ticket) return undefined;
    const document = await vscode.workspace.openTextDocument(ticketDocumentUri(ticket.id));
    return vscode.window.showTextDocument(document, { preview: true });
  };

  const updateFilterUi = async (): Promise<void> => {
    const text = model.filterText;
    deps.treeView.description = text === undefined ? undefined : `Filter: ${text}`;
    await vscode.commands.executeCommand('setContext', ContextKeys.TicketsFiltered, text !== undefined);
  };

  const guarded =
    <A extends unknown[], R>(name: string, fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R | undefined> => {
      try {
        return await fn(...args);
      } catch (err) {
        log.error(`${name} failed: ${errorMessage(err)}`);
        void prompter.current.warning(`${name} failed: ${errorMessage(err)}`, {});
        return undefined;
      }
    };
  /** A command that changes the board: refused, with the reason, in Restricted Mode. */
  const changing =
    <A extends unknown[], R>(name: string, fn: (...args: A) => Promise<R>) =>
    guarded(name, async (...args: A): Promise<R> => {
      requireTrust(name);
      return fn(...args);
    });

  return vscode.Disposable.from(
    vscode.commands.registerCommand(
      Commands.CreateTicket,
      changing('Create Ticket', async (): Promise<string | undefined> => {
        const open = requireBoard()?.listTickets().filter((t) => t.status !== 'DONE');
        if (!open) return undefined;
        const draft = await promptNewTicket(prompter.current, open);
        const board = requireBoard();
        if (!draft || !board) return undefined;
        const ticket = await board.write((tx) => tx.createTicket(draft, 'user'));
        log.info(`${ticket.id} created in ${ticket.status}`);
        model.refreshNow();
        const node = deps.provider.ticketNode(ticket.id);
        if (node && deps.treeView.visible) void Promise.resolve(deps.treeView.reveal(node, { select: true, focus: false })).catch(() => undefined);
        return ticket.id;
      }),
    ),
    vscode.commands.registerCommand(
      Commands.EditTicket,
      changing('Edit Ticket', async (arg: unknown): Promise<TicketEditResult | undefined> => {
        const ticket = await ticketFor(arg, 'Edit which ticket?');
        const board = deps.getBoard();
        if (!ticket || !board) return undefined;
        const candidates = board.listTickets().filter((t) => t.id !== ticket.id && (t.status !== 'DONE' || ticket.dependsOn.includes(t.id)));
        const patch = await promptTicketEdit(prompter.current, ticket, candidates);
        if (!patch) return undefined;
        const edited = await board.write((tx) => editTicket(tx, ticket.id, patch, 'user'));
        if (edited.changes.length === 0) return edited;
        log.info(`${ticket.id}: edited ${edited.changes.join('; ')}`);
        model.refreshNow();
        if (edited.toAgent) void prompter.current.info(`${ticket.id} edited; its agent finds the change in its inbox.`);
        return edited;
      }),
    ),
    vscode.commands.registerCommand(
      Commands.MessageAgent,
      changing('Message the Agent', async (arg: unknown): Promise<SentMessage | undefined> => {
        const ticket = await ticketFor(arg, 'Message the agent of which ticket?', (t) => t.status !== 'DONE');
        if (!ticket) return undefined;
        const body = await prompter.current.inputBox({
          title: `Message ${ticket.id}'s agent`,
          prompt:
            ticket.status === 'BLOCKED'
              ? `${ticket.id} is blocked: ${oneLine(ticket.blockedReason ?? 'no reason given')}. An answer to its agent's question makes it ready again.`
              : 'The running agent reads it with "agent-factory inbox"; the next attempt finds it in its prompt.',
          ignoreFocusOut: true,
          validateInput: (value) => (value.trim() === '' ? 'Write something for the agent to read.' : undefined),
        });
        const board = deps.getBoard();
        if (body === undefined || !board) return undefined;
        const sent = await board.write((tx) => messageAgent(tx, { ticketId: ticket.id, body }));
        void prompter.current.info(sent.answered ? `${ticket.id} is ready again; its next attempt carries your answer.` : `Sent to ${ticket.id}'s agent.`);
        return sent;
      }),
    ),
    vscode.commands.registerCommand(Commands.OpenTicket, guarded('Open Ticket', openTicket)),
    vscode.commands.registerCommand(
      Commands.MoveTicket,
      changing('Move Ticket', async (arg: unknown): Promise<MoveOutcome | undefined> => {
        const ticket = await ticketFor(arg, 'Move which ticket?');
        if (!ticket) return undefined;
        const targets = legalTargets(ticket.status, 'user', ticket.blockedFrom);
        if (targets.length === 0) {
          void prompter.current.info(`${ticket.id} cannot move anywhere from ${statusLabel(ticket.status)}.`);
          return undefined;
        }
        const to = await pickStatus(ticket, targets, `Move ${ticket.id} to...`);
        return to === undefined ? 'cancelled' : mover.move(ticket.id, to, 'command');
      }),
    ),
    vscode.commands.registerCommand(
      Commands.BlockTicket,
      changing('Block Ticket', async (arg: unknown): Promise<MoveOutcome | undefined> => {
        const ticket = await ticketFor(arg, 'Block which ticket?', (t) => legalTargets(t.status, 'user', t.blockedFrom).includes('BLOCKED'));
        return ticket ? mover.move(ticket.id, 'BLOCKED', 'command') : undefined;
      }),
    ),
    vscode.commands.registerCommand(
      Commands.UnblockTicket,
      changing('Unblock Ticket', async (arg: unknown): Promise<MoveOutcome | undefined> => {
        const ticket = await ticketFor(arg, 'Unblock which ticket?', (t) => t.status === 'BLOCKED');
        if (!ticket) return undefined;
        if (ticket.status !== 'BLOCKED') {
          void prompter.current.info(`${ticket.id} is not blocked; it is ${statusLabel(ticket.status)}.`);
          return undefined;
        }
        const targets = legalTargets('BLOCKED', 'user', ticket.blockedFrom);
        const to = targets.length === 1 ? targets[0] : await pickStatus(ticket, targets, `Unblock ${ticket.id}: back to...`);
        return to === undefined ? 'cancelled' : mover.move(ticket.id, to, 'command');
      }),
    ),
    vscode.commands.registerCommand(
      Commands.DeleteTicket,
      changing('Delete Ticket', async (arg: unknown): Promise<boolean> => {
        const ticket = await ticketFor(arg, 'Delete which ticket?');
        const board = deps.getBoard();
        if (!ticket || !board) return false;
        const working = board.listRuns({ ticketId: ticket.id, status: ['queued', 'running'] }).length > 0;
        const answer = await prompter.current.warning(
          `Delete ${ticket.id} "${oneLine(ticket.title).slice(0, 80)}"?`,
          {
            modal: true,
            detail: `${working ? 'Its agent is working on it now and will be stopped. ' : ''}Its bugs, runs, check-ins and conversations are deleted with it. Its history is written to the Agent Factory log first.`,
          },
          'Delete',
        );
        if (answer !== 'Delete') return false;
        const history = board.history(ticket.id);
        log.info(`Deleting ${ticket.id} "${oneLine(ticket.title)}" (${ticket.status}); its history:`);
        for (const h of history) log.info(`  ${ticket.id} ${new Date(h.at).toISOString()} ${oneLine(describeHistory(h))}`);
        await board.write((tx) => tx.deleteTicket(ticket.id, 'user'));
        return true;
      }),
    ),
    vscode.commands.registerCommand(
      Commands.ShowCheckIns,
      guarded('Show Check-ins', async (arg: unknown): Promise<number | undefined> => {
        const editor = await openTicket(arg);
        if (!editor) return undefined;
        const ticketId = ticketIdOfDocument(editor.document.uri) ?? '';
        const shown = deps.comments.expandThreads(ticketId);
        const at = new vscode.Range(CONVERSATIONS_LINE, 0, CONVERSATIONS_LINE, 0);
        editor.selection = new vscode.Selection(at.start, at.start);
        editor.revealRange(at, vscode.TextEditorRevealType.AtTop);
        if (shown === 0) void prompter.current.info(`${ticketId} has no check-ins or conversations yet.`);
        return shown;
      }),
    ),
    vscode.commands.registerCommand(
      Commands.FilterTickets,
      guarded('Filter Tickets', async (): Promise<string | undefined> => {
        const current = model.filter ? formatTicketFilter(model.filter) : '';
        const input = await prompter.current.inputBox({
          title: 'Filter Tickets',
          prompt: 'Words to find in id, title, description or labels; label:<name>; source:user|gatherer|security. Empty clears.',
          placeHolder: 'login label:ui source:gatherer',
          value: current,
          validateInput: (value) => {
            const parsed = parseTicketFilter(value);
            return parsed.ok ? undefined : parsed.error;
          },
        });
        if (input === undefined) return model.filterText;
        const parsed = parseTicketFilter(input);
        if (!parsed.ok) return model.filterText;
        model.setFilter(parsed.filter);
        await updateFilterUi();
        return model.filterText;
      }),
    ),
    vscode.commands.registerCommand(
      Commands.ClearTicketFilter,
      guarded('Clear Ticket Filter', async (): Promise<void> => {
        model.setFilter(undefined);
        await updateFilterUi();
      }),
    ),
  );
}
