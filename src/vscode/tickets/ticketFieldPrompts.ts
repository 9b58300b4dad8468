import type * as vscode from 'vscode';
import { describeDependencies, type TicketLookup } from '../../domain/dependencies';
import { errorMessage } from '../../domain/errors';
import { TICKET_TYPES, validateDescription, validatePriority, validateTitle, type Priority, type Ticket, type TicketType } from '../../domain/ticket';
import { PRIORITIES, priorityName, statusLabel } from '../../domain/vocabulary';
import { plainLabel } from '../document/untrustedText';
import type { Prompter } from '../ui/prompter';

/** The fields a person writes on a ticket, as Create Ticket and Edit Ticket ask for them. */
export type TicketFields = Pick<Ticket, 'title' | 'description' | 'acceptanceCriteria' | 'priority' | 'type' | 'labels' | 'dependsOn'>;

export type TicketField = keyof TicketFields;

export interface FieldItem extends vscode.QuickPickItem {
  field: TicketField;
}

interface PriorityItem extends vscode.QuickPickItem {
  priority: Priority;
}

interface TypeItem extends vscode.QuickPickItem {
  type: TicketType;
}

interface CriterionItem extends vscode.QuickPickItem {
  index: number | 'add' | 'done';
}

interface DependencyItem extends vscode.QuickPickItem {
  ticketId: string;
}

const PREVIEW = 60;
const PRIORITY_ICONS: Record<Priority, string> = { 1: '$(flame)', 2: '$(arrow-up)', 3: '$(dash)', 4: '$(arrow-down)' };

/** Ticket text for a quick pick: one line, `$(` shown as written, cut to a preview. */
export function preview(text: string): string {
  const flat = plainLabel(text);
  return flat.length > PREVIEW ? `${flat.slice(0, PREVIEW - 1)}…` : flat || '(empty)';
}

export function validationMessage(validate: (value: string) => unknown): (value: string) => string | undefined {
  return (value) => {
    try {
      validate(value);
      return undefined;
    } catch (err) {
      return errorMessage(err);
    }
  };
}

/** One item per field, each showing its current value. `lookup` finds the tickets it depends on. */
export function fieldItems(values: TicketFields, lookup: TicketLookup, fields: readonly TicketField[]): FieldItem[] {
  const describe: Record<TicketField, string> = {
    title: preview(values.title),
    description: values.description.trim() ? preview(values.description) : 'none',
    acceptanceCriteria: `${values.acceptanceCriteria.length} written`,
    priority: priorityName(values.priority),
    type: values.type,
    labels: values.labels.length > 0 ? preview(values.labels.join(', ')) : 'none',
    dependsOn: describeDependencies(values.dependsOn, lookup) || 'nothing',
  };
  const labels: Record<TicketField, string> = {
    title: 'Title',
    description: 'Description',
    acceptanceCriteria: 'Acceptance criteria',
    priority: 'Priority',
    type: 'Type',
    labels: 'Labels',
    dependsOn: 'Depends on',
  };
  return fields.map((field) => ({ label: labels[field], description: describe[field], field }));
}

/**
 * Asks for one field's new value, starting from `values`, checked by the store's own validators.
 * `candidates`: the tickets it may depend on. Undefined when the user cancels.
 */
export async function promptField(prompter: Prompter, field: TicketField, values: TicketFields, candidates: readonly Ticket[], titlePrefix: string): Promise<Partial<TicketFields> | undefined> {
  switch (field) {
    case 'title': {
      const title = await prompter.inputBox({ title: `${titlePrefix}: title`, value: values.title, ignoreFocusOut: true, validateInput: validationMessage(validateTitle) });
      return title === undefined ? undefined : { title: validateTitle(title) };
    }
    case 'description': {
      const description = await prompter.inputBox({
        title: `${titlePrefix}: description`,
        prompt: 'Markdown; what you type replaces the whole description.',
        value: values.description,
        ignoreFocusOut: true,
        validateInput: validationMessage(validateDescription),
      });
      return description === undefined ? undefined : { description: validateDescription(description.trim()) };
    }
    case 'acceptanceCriteria': {
      const criteria = await editCriteria(prompter, values.acceptanceCriteria, titlePrefix);
      return criteria === undefined ? undefined : { acceptanceCriteria: criteria };
    }
    case 'priority': {
      const priority = await promptPriority(prompter, values.priority, `${titlePrefix}: priority`);
      return priority === undefined ? undefined : { priority };
    }
    case 'type': {
      const items: TypeItem[] = TICKET_TYPES.map((type) => ({ label: type, description: type === values.type ? 'current' : undefined, type }));
      const type = await prompter.quickPick(items, { title: `${titlePrefix}: type`, placeHolder: `Now ${values.type}`, ignoreFocusOut: true, active: items.find((i) => i.type === values.type) });
      return type === undefined ? undefined : { type: type.type };
    }
    case 'labels': {
      const labels = await prompter.inputBox({ title: `${titlePrefix}: labels`, prompt: 'Separated by commas; empty removes them all.', value: values.labels.join(', '), ignoreFocusOut: true });
      return labels === undefined ? undefined : { labels: splitLabels(labels) };
    }
    case 'dependsOn': {
      const dependsOn = await promptDependencies(prompter, candidates, values.dependsOn, `${titlePrefix}: depends on`);
      return dependsOn === undefined ? undefined : { dependsOn };
    }
  }
}

/** Critical first, low last, with the current priority preselected so Enter keeps it. */
export async function promptPriority(prompter: Prompter, current: Priority, title: string): Promise<Priority | undefined> {
  const items: PriorityItem[] = PRIORITIES.map((priority) => ({
    label: `${PRIORITY_ICONS[priority]} ${priorityName(priority).replace(/^./, (c) => c.toUpperCase())}`,
    description: priority === current ? 'current' : undefined,
    priority,
  }));
  const picked = await prompter.quickPick(items, { title, placeHolder: `Now ${priorityName(current)}`, ignoreFocusOut: true, active: items.find((i) => i.priority === current) });
  return picked === undefined ? undefined : validatePriority(picked.priority);
}

/**
 * Asks which of `candidates` a ticket depends on, with `current` already ticked. Undefined when
 * the user cancels; an empty list when they accept with nothing ticked.
 */
export async function promptDependencies(prompter: Prompter, candidates: readonly Ticket[], current: readonly string[], title: string): Promise<string[] | undefined> {
  const items: DependencyItem[] = candidates.map((t) => ({
    label: `${t.id} ${plainLabel(t.title)}`,
    description: statusLabel(t.status),
    picked: current.includes(t.id),
    ticketId: t.id,
  }));
  const picked = await prompter.quickPickMany(items, {
    title,
    placeHolder: 'Tick the tickets that must be done first (none: press Enter)',
    matchOnDescription: true,
    ignoreFocusOut: true,
  });
  return picked?.map((item) => item.ticketId);
}

/** "a, b,,c " -> ["a", "b", "c"]: labels without blanks or repeats. */
export function splitLabels(text: string): string[] {
  return [...new Set(text.split(',').map((l) => l.trim()).filter((l) => l.length > 0))];
}

/**
 * The criteria as a list to work through: pick one to change it (empty removes it), add one, or
 * finish. Escape abandons the whole edit.
 */
async function editCriteria(prompter: Prompter, current: readonly string[], titlePrefix: string): Promise<string[] | undefined> {
  const criteria = [...current];
  for (;;) {
    const items: CriterionItem[] = [
      ...criteria.map((c, index) => ({ label: plainLabel(c), description: `criterion ${index + 1}`, index })),
      { label: '$(add) Add a criterion', index: 'add' },
      { label: '$(check) Save the criteria', index: 'done' },
    ];
    const picked = await prompter.quickPick(items, { title: `${titlePrefix}: acceptance criteria`, placeHolder: 'Pick one to change or remove it', ignoreFocusOut: true });
    if (picked === undefined) return undefined;
    if (picked.index === 'done') return criteria;
    const at = picked.index;
    const text = await prompter.inputBox({
      title: at === 'add' ? `${titlePrefix}: new criterion` : `${titlePrefix}: criterion ${at + 1}`,
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
