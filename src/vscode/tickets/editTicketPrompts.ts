import type * as vscode from 'vscode';
import { describeDependencies } from '../../domain/dependencies';
import { TICKET_TYPES, validateDescription, validatePriority, validateTitle, type Ticket, type TicketType } from '../../domain/ticket';
import type { TicketPatch } from '../../store/api';
import { plainLabel } from '../document/untrustedText';
import type { Prompter } from '../ui/prompter';
import { PRIORITY_ITEMS, promptDependencies, validationMessage } from './createTicketPrompts';
import { priorityName } from './statusLabels';

type Field = 'title' | 'description' | 'criteria' | 'priority' | 'type' | 'labels' | 'dependencies';

interface FieldItem extends vscode.QuickPickItem {
  field: Field;
}

interface CriterionItem extends vscode.QuickPickItem {
  index: number | 'add' | 'done';
}

interface TypeItem extends vscode.QuickPickItem {
  type: TicketType;
}

export interface TicketEdit {
  patch: TicketPatch;
  /** What changed, for the confirmation ("priority"). */
  what: string;
}

const PREVIEW = 60;

function preview(text: string): string {
  const flat = plainLabel(text);
  return flat.length > PREVIEW ? `${flat.slice(0, PREVIEW - 1)}…` : flat || '(empty)';
}

/**
 * Asks which field of `ticket` to change, then its new value, checked by the same validators as
 * the store. `candidates` are the tickets it may depend on. Undefined when the user cancels.
 */
export async function promptTicketEdit(prompter: Prompter, ticket: Ticket, candidates: readonly Ticket[]): Promise<TicketEdit | undefined> {
  const lookup = (id: string) => candidates.find((t) => t.id === id);
  const fields: FieldItem[] = [
    { label: 'Title', description: preview(ticket.title), field: 'title' },
    { label: 'Description', description: preview(ticket.description), field: 'description' },
    { label: 'Acceptance criteria', description: `${ticket.acceptanceCriteria.length} written`, field: 'criteria' },
    { label: 'Priority', description: priorityName(ticket.priority), field: 'priority' },
    { label: 'Type', description: ticket.type, field: 'type' },
    { label: 'Labels', description: preview(ticket.labels.join(', ')), field: 'labels' },
    { label: 'Dependencies', description: describeDependencies(ticket.dependsOn, lookup) || 'none', field: 'dependencies' },
  ];
  const picked = await prompter.quickPick(fields, { title: `Edit ${ticket.id}`, placeHolder: 'Which field?', ignoreFocusOut: true });
  switch (picked?.field) {
    case undefined:
      return undefined;
    case 'title': {
      const title = await prompter.inputBox({ title: `Edit ${ticket.id}: title`, value: ticket.title, ignoreFocusOut: true, validateInput: validationMessage(validateTitle) });
      return title === undefined ? undefined : { patch: { title: validateTitle(title) }, what: 'title' };
    }
    case 'description': {
      const description = await prompter.inputBox({
        title: `Edit ${ticket.id}: description`,
        prompt: 'Markdown; what you type replaces the whole description.',
        value: ticket.description,
        ignoreFocusOut: true,
        validateInput: validationMessage(validateDescription),
      });
      return description === undefined ? undefined : { patch: { description: validateDescription(description.trim()) }, what: 'description' };
    }
    case 'criteria': {
      const criteria = await editCriteria(prompter, ticket);
      return criteria === undefined ? undefined : { patch: { acceptanceCriteria: criteria }, what: 'acceptance criteria' };
    }
    case 'priority': {
      const priority = await prompter.quickPick(PRIORITY_ITEMS, { title: `Edit ${ticket.id}: priority`, placeHolder: `Now ${priorityName(ticket.priority)}`, ignoreFocusOut: true });
      return priority === undefined ? undefined : { patch: { priority: validatePriority(priority.priority) }, what: 'priority' };
    }
    case 'type': {
      const items: TypeItem[] = TICKET_TYPES.map((type) => ({ label: type, description: type === ticket.type ? 'current' : undefined, type }));
      const type = await prompter.quickPick(items, { title: `Edit ${ticket.id}: type`, placeHolder: `Now ${ticket.type}`, ignoreFocusOut: true });
      return type === undefined ? undefined : { patch: { type: type.type }, what: 'type' };
    }
    case 'labels': {
      const labels = await prompter.inputBox({ title: `Edit ${ticket.id}: labels`, prompt: 'Separated by commas; empty removes them all.', value: ticket.labels.join(', '), ignoreFocusOut: true });
      return labels === undefined ? undefined : { patch: { labels: splitLabels(labels) }, what: 'labels' };
    }
    case 'dependencies': {
      const dependsOn = await promptDependencies(prompter, candidates, ticket.dependsOn, `Edit ${ticket.id}: depends on`);
      return dependsOn === undefined ? undefined : { patch: { dependsOn }, what: 'dependencies' };
    }
  }
}

/** "a, b,,c " -> ["a", "b", "c"]: labels without blanks or repeats. */
export function splitLabels(text: string): string[] {
  return [...new Set(text.split(',').map((l) => l.trim()).filter((l) => l.length > 0))];
}

/**
 * The criteria as a list to work through: pick one to change it (empty removes it), add one, or
 * finish. Escape abandons the whole edit.
 */
async function editCriteria(prompter: Prompter, ticket: Ticket): Promise<string[] | undefined> {
  const criteria = [...ticket.acceptanceCriteria];
  for (;;) {
    const items: CriterionItem[] = [
      ...criteria.map((c, index) => ({ label: plainLabel(c), description: `criterion ${index + 1}`, index })),
      { label: '$(add) Add a criterion', index: 'add' },
      { label: '$(check) Save the criteria', index: 'done' },
    ];
    const picked = await prompter.quickPick(items, { title: `Edit ${ticket.id}: acceptance criteria`, placeHolder: 'Pick one to change or remove it', ignoreFocusOut: true });
    if (picked === undefined) return undefined;
    if (picked.index === 'done') return criteria;
    const at = picked.index;
    const text = await prompter.inputBox({
      title: at === 'add' ? `Edit ${ticket.id}: new criterion` : `Edit ${ticket.id}: criterion ${at + 1}`,
      prompt: at === 'add' ? 'What must be true when the ticket is done?' : 'Empty removes this criterion.',
      value: at === 'add' ? '' : criteria[at],
      ignoreFocusOut: true,
    });
    if (text === undefined) continue;
    const trimmed = text.trim();
    if (at === 'add') {
      if (trimmed) criteria.push(trimmed);
    } else if (trimmed) {
      criteria[at] = trimmed;
    } else {
      criteria.splice(at, 1);
    }
  }
}
