import type * as vscode from 'vscode';
import { validateTitle, type Ticket } from '../../domain/ticket';
import type { NewTicket } from '../../store/api';
import type { Prompter } from '../ui/prompter';
import { fieldItems, preview, promptField, validationMessage, type FieldItem, type TicketFields } from './ticketFieldPrompts';

interface CreateItem extends vscode.QuickPickItem {
  create: 'BACKLOG' | 'READY';
}

/**
 * Asks for a new ticket: its title, then one list where Enter creates it (in Backlog, or Ready)
 * and every other field (description, acceptance criteria, priority, type, labels, what it
 * depends on) can be filled in first, as often as wanted. A title alone is enough. Undefined when
 * the user cancels.
 */
export async function promptNewTicket(prompter: Prompter, openTickets: readonly Ticket[]): Promise<NewTicket | undefined> {
  const title = await prompter.inputBox({
    title: 'Create Ticket',
    prompt: 'What needs to be done? Press Enter; the next step creates it or adds details first.',
    placeHolder: 'Add retry to the upload client',
    ignoreFocusOut: true,
    validateInput: validationMessage(validateTitle),
  });
  if (title === undefined) return undefined;
  const values: TicketFields = { title: validateTitle(title), description: '', acceptanceCriteria: [], priority: 3, type: 'feature', labels: [], dependsOn: [] };
  const lookup = (id: string) => openTickets.find((t) => t.id === id);
  for (;;) {
    const fields = fieldItems(values, lookup, ['description', 'acceptanceCriteria', 'priority', 'type', 'labels', ...(openTickets.length > 0 ? ['dependsOn' as const] : []), 'title']);
    const items: (CreateItem | FieldItem)[] = [
      { label: '$(check) Create in Backlog', description: `${fields.find((f) => f.field === 'priority')?.description ?? ''} · ${values.type}`, create: 'BACKLOG' },
      { label: '$(check) Create in Ready', description: 'ready to be started', create: 'READY' },
      ...fields.map((f) => ({ ...f, label: `$(edit) ${f.label}…` })),
    ];
    const picked = await prompter.quickPick(items, { title: `Create Ticket: ${preview(values.title)}`, placeHolder: 'Enter creates it in Backlog, or fill in a field first', ignoreFocusOut: true });
    if (picked === undefined) return undefined;
    if ('create' in picked) return { ...values, status: picked.create };
    const change = await promptField(prompter, picked.field, values, openTickets, 'Create Ticket');
    if (change) Object.assign(values, change);
  }
}
