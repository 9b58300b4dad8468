import type * as vscode from 'vscode';
import { errorMessage } from '../../domain/errors';
import { validateDescription, validatePriority, validateTitle, type Priority, type Ticket } from '../../domain/ticket';
import type { NewTicket } from '../../store/api';
import { plainLabel } from '../document/untrustedText';
import type { Prompter } from '../ui/prompter';
import { statusLabel } from './statusLabels';

export interface PriorityItem extends vscode.QuickPickItem {
  priority: Priority;
}

interface DependencyItem extends vscode.QuickPickItem {
  ticketId: string;
}

interface StatusItem extends vscode.QuickPickItem {
  status: 'BACKLOG' | 'READY';
}

// Medium first: pressing Enter takes the usual priority, not "critical".
export const PRIORITY_ITEMS: PriorityItem[] = [
  { label: '$(dash) Medium', description: 'default', priority: 3 },
  { label: '$(flame) Critical', priority: 1 },
  { label: '$(arrow-up) High', priority: 2 },
  { label: '$(arrow-down) Low', priority: 4 },
];

const STATUS_ITEMS: StatusItem[] = [
  { label: 'Backlog', description: 'not planned yet', status: 'BACKLOG' },
  { label: 'Ready', description: 'ready to be started', status: 'READY' },
];

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

/**
 * Asks for a new ticket: title (checked by the domain's validator as the user types), optional
 * description, priority, Backlog or Ready, and, when the board has open tickets, which of them it
 * depends on. Undefined when the user cancels any step.
 */
export async function promptNewTicket(prompter: Prompter, openTickets: readonly Ticket[]): Promise<NewTicket | undefined> {
  const steps = openTickets.length > 0 ? 5 : 4;
  const title = await prompter.inputBox({
    title: `Create Ticket (1/${steps}): title`,
    prompt: 'What needs to be done?',
    placeHolder: 'Add retry to the upload client',
    ignoreFocusOut: true,
    validateInput: validationMessage(validateTitle),
  });
  if (title === undefined) return undefined;
  const description = await prompter.inputBox({
    title: `Create Ticket (2/${steps}): description`,
    prompt: 'Optional. Markdown; press Enter to leave it empty.',
    ignoreFocusOut: true,
    validateInput: validationMessage(validateDescription),
  });
  if (description === undefined) return undefined;
  const priority = await prompter.quickPick(PRIORITY_ITEMS, { title: `Create Ticket (3/${steps}): priority`, placeHolder: 'Priority', ignoreFocusOut: true });
  if (priority === undefined) return undefined;
  const status = await prompter.quickPick(STATUS_ITEMS, { title: `Create Ticket (4/${steps}): where it starts`, placeHolder: 'Backlog or Ready', ignoreFocusOut: true });
  if (status === undefined) return undefined;
  const dependsOn = openTickets.length > 0 ? await promptDependencies(prompter, openTickets, [], `Create Ticket (5/${steps}): depends on`) : [];
  if (dependsOn === undefined) return undefined;
  return {
    title: validateTitle(title),
    description: validateDescription(description.trim()),
    priority: validatePriority(priority.priority),
    status: status.status,
    dependsOn,
  };
}
