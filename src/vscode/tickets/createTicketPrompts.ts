import type * as vscode from 'vscode';
import { errorMessage } from '../../domain/errors';
import { validateDescription, validatePriority, validateTitle, type Priority } from '../../domain/ticket';
import type { NewTicket } from '../../store/api';
import type { Prompter } from '../ui/prompter';

interface PriorityItem extends vscode.QuickPickItem {
  priority: Priority;
}

interface StatusItem extends vscode.QuickPickItem {
  status: 'BACKLOG' | 'READY';
}

// Medium first: pressing Enter takes the usual priority, not "critical".
const PRIORITY_ITEMS: PriorityItem[] = [
  { label: '$(dash) Medium', description: 'default', priority: 3 },
  { label: '$(flame) Critical', priority: 1 },
  { label: '$(arrow-up) High', priority: 2 },
  { label: '$(arrow-down) Low', priority: 4 },
];

const STATUS_ITEMS: StatusItem[] = [
  { label: 'Backlog', description: 'not planned yet', status: 'BACKLOG' },
  { label: 'Ready', description: 'ready to be started', status: 'READY' },
];

function validationMessage(validate: (value: string) => unknown): (value: string) => string | undefined {
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
 * Asks for a new ticket: title (checked by the domain's validator as the user types), optional
 * description, priority, and Backlog or Ready. Undefined when the user cancels any step.
 */
export async function promptNewTicket(prompter: Prompter): Promise<NewTicket | undefined> {
  const title = await prompter.inputBox({
    title: 'Create Ticket (1/4): title',
    prompt: 'What needs to be done?',
    placeHolder: 'Add retry to the upload client',
    ignoreFocusOut: true,
    validateInput: validationMessage(validateTitle),
  });
  if (title === undefined) return undefined;
  const description = await prompter.inputBox({
    title: 'Create Ticket (2/4): description',
    prompt: 'Optional. Markdown; press Enter to leave it empty.',
    ignoreFocusOut: true,
    validateInput: validationMessage(validateDescription),
  });
  if (description === undefined) return undefined;
  const priority = await prompter.quickPick(PRIORITY_ITEMS, { title: 'Create Ticket (3/4): priority', placeHolder: 'Priority', ignoreFocusOut: true });
  if (priority === undefined) return undefined;
  const status = await prompter.quickPick(STATUS_ITEMS, { title: 'Create Ticket (4/4): where it starts', placeHolder: 'Backlog or Ready', ignoreFocusOut: true });
  if (status === undefined) return undefined;
  return {
    title: validateTitle(title),
    description: validateDescription(description.trim()),
    priority: validatePriority(priority.priority),
    status: status.status,
  };
}
