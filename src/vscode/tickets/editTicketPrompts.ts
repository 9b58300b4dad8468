import type { Ticket } from '../../domain/ticket';
import type { TicketEditPatch } from '../../loop/ticketEdits';
import type { Prompter } from '../ui/prompter';
import { fieldItems, promptField } from './ticketFieldPrompts';

/**
 * Asks which field of `ticket` to change, then its new value, checked by the same validators as
 * the store. `candidates` are the tickets it may depend on. Undefined when the user cancels.
 */
export async function promptTicketEdit(prompter: Prompter, ticket: Ticket, candidates: readonly Ticket[]): Promise<TicketEditPatch | undefined> {
  const lookup = (id: string) => candidates.find((t) => t.id === id);
  const items = fieldItems(ticket, lookup, ['title', 'description', 'acceptanceCriteria', 'priority', 'type', 'labels', 'dependsOn']);
  const picked = await prompter.quickPick(items, { title: `Edit ${ticket.id}`, placeHolder: 'Which field?', ignoreFocusOut: true });
  if (!picked) return undefined;
  return promptField(prompter, picked.field, ticket, candidates, `Edit ${ticket.id}`);
}
