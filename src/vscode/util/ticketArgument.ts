import * as vscode from 'vscode';
import { isTicketId } from '../../domain/ids';
import type { Ticket } from '../../domain/ticket';
import type { Board } from '../../store/api';
import { ticketIdOfDocument } from '../document/ticketUri';
import { plainLabel } from '../document/untrustedText';
import { isTicketNode } from '../tickets/ticketTreeNodes';
import { statusLabel } from '../../domain/vocabulary';
import type { Prompter } from '../ui/prompter';

interface TicketPick extends vscode.QuickPickItem {
  ticketId: string;
}

/**
 * The ticket a command is about: a Tickets view item, a ticket id, the ticket document's uri (its
 * editor title actions) or, from the palette, the user's pick among the tickets it fits. Undefined,
 * after saying why, when there is none.
 */
export async function ticketArgument(
  board: Board,
  prompter: Prompter,
  arg: unknown,
  options: { placeHolder: string; eligible: (t: Ticket) => boolean; none: string },
): Promise<Ticket | undefined> {
  const id = isTicketNode(arg) ? arg.ticketId : arg instanceof vscode.Uri ? ticketIdOfDocument(arg) : typeof arg === 'string' ? arg.trim() : undefined;
  if (id !== undefined) {
    const ticket = isTicketId(id) ? board.getTicket(id) : undefined;
    if (!ticket) void prompter.warning(`Agent Factory: there is no ticket ${plainLabel(id).slice(0, 40)} on this board.`, {});
    return ticket;
  }
  const items: TicketPick[] = board
    .listTickets()
    .filter(options.eligible)
    .map((t) => ({ label: `${t.id} ${plainLabel(t.title)}`, description: statusLabel(t.status), ticketId: t.id }));
  if (items.length === 0) {
    void prompter.info(`Agent Factory: ${options.none}`);
    return undefined;
  }
  const picked = await prompter.quickPick(items, { placeHolder: options.placeHolder, matchOnDescription: true });
  return picked ? board.getTicket(picked.ticketId) : undefined;
}
