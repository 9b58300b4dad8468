// Shared by the tickets and comments suites: the tickets feature's test hooks and a prompter that
// answers the real input boxes and pickers the way a user would (running their validation).
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { Status } from '../../../src/domain/status';
import type { TestApi } from '../../../src/vscode/extension';
import type { TicketTesting } from '../../../src/vscode/tickets/index';
import { TICKETS_MIME } from '../../../src/vscode/tickets/ticketDragAndDrop';
import type { StatusGroupNode, TicketTreeNode } from '../../../src/vscode/tickets/ticketTreeNodes';
import type { PickOptions, Prompter } from '../../../src/vscode/ui/prompter';
import { testApi } from '../board';

export async function ticketsApi(): Promise<{ api: TestApi; tickets: TicketTesting }> {
  const api = await testApi();
  const tickets = (api as TestApi & { tickets?: TicketTesting }).tickets;
  if (!tickets) throw new Error('the extension test API has no `tickets` (activate must expose registerTicketFeatures(...).testing)');
  return { api, tickets };
}

/** One input box answer: what the user types, possibly after attempts the box rejects. */
export interface InputAnswer {
  tries: string[];
}

/**
 * Answers dialogs from queues and records what the user was shown. An input box runs the
 * command's own `validateInput` on every try, as the real box does, and keeps the first accepted.
 */
export class ScriptedPrompter implements Prompter {
  readonly inputs: (InputAnswer | undefined)[] = [];
  /** A label (or part of one) to pick, or undefined to cancel. */
  readonly picks: (string | undefined)[] = [];
  /** For a multi-select pick: the labels (or parts) to tick, or undefined to cancel. Else one of `picks`. */
  readonly manyPicks: (string[] | undefined)[] = [];
  /** The items a multi-select pick showed ticked when it opened. */
  readonly preTicked: string[][] = [];
  readonly warningAnswers: (string | undefined)[] = [];
  readonly validationMessages: string[] = [];
  readonly offered: string[][] = [];
  /** The item each pick had preselected (the one Enter takes), if any. */
  readonly actives: (string | undefined)[] = [];
  readonly warnings: { message: string; modal: boolean }[] = [];
  readonly infos: string[] = [];
  readonly prompts: string[] = [];

  async inputBox(options: vscode.InputBoxOptions): Promise<string | undefined> {
    this.prompts.push(options.title ?? options.prompt ?? '');
    if (this.inputs.length === 0) throw new Error(`unexpected input box: ${options.title ?? options.prompt ?? ''}`);
    const answer = this.inputs.shift();
    if (!answer) return undefined;
    for (const value of answer.tries) {
      const verdict = await options.validateInput?.(value);
      const message = typeof verdict === 'string' ? verdict : verdict?.message;
      if (!message) return value;
      this.validationMessages.push(message);
    }
    throw new Error(`every try was rejected by the input box: ${this.validationMessages.join(' | ')}`);
  }

  async quickPick<T extends vscode.QuickPickItem>(items: readonly T[], options: PickOptions<T>): Promise<T | undefined> {
    this.prompts.push(options.title ?? options.placeHolder ?? '');
    this.offered.push(items.map((i) => i.label));
    this.actives.push(options.active?.label);
    if (this.picks.length === 0) throw new Error(`unexpected quick pick: ${options.placeHolder ?? ''} (${items.map((i) => i.label).join(', ')})`);
    const wanted = this.picks.shift();
    if (wanted === undefined) return undefined;
    const item = items.find((i) => i.label.includes(wanted));
    if (!item) throw new Error(`no item "${wanted}" among ${items.map((i) => i.label).join(', ')}`);
    return item;
  }

  async quickPickMany<T extends vscode.QuickPickItem>(items: readonly T[], options: vscode.QuickPickOptions): Promise<readonly T[] | undefined> {
    if (this.manyPicks.length === 0) {
      const one = await this.quickPick(items, options);
      return one ? [one] : undefined;
    }
    this.prompts.push(options.title ?? options.placeHolder ?? '');
    this.offered.push(items.map((i) => i.label));
    this.preTicked.push(items.filter((i) => i.picked === true).map((i) => i.label));
    const wanted = this.manyPicks.shift();
    if (wanted === undefined) return undefined;
    return wanted.map((w) => {
      const item = items.find((i) => i.label.includes(w));
      if (!item) throw new Error(`no item "${w}" among ${items.map((i) => i.label).join(', ')}`);
      return item;
    });
  }

  async warning<T extends string>(message: string, options: vscode.MessageOptions, ...actions: T[]): Promise<T | undefined> {
    this.warnings.push({ message, modal: options.modal === true });
    if (actions.length === 0) return undefined;
    const answer = this.warningAnswers.shift();
    return actions.find((a) => a === answer);
  }

  async info<T extends string>(message: string): Promise<T | undefined> {
    this.infos.push(message);
    return undefined;
  }
}

/** Runs `fn` with the scripted prompter in place of the real dialogs. */
export async function withPrompter<R>(api: TestApi, prompter: ScriptedPrompter, fn: () => PromiseLike<R>): Promise<R> {
  const original = api.prompter.current;
  api.prompter.current = prompter;
  try {
    return await fn();
  } finally {
    api.prompter.current = original;
  }
}

/**
 * Characters that open markdown links, images, HTML, code or autolinks and are not escaped with a
 * backslash. Empty means the text renders literally.
 */
export function unescapedMarkup(markdown: string): string[] {
  const found: string[] = [];
  for (let i = 0; i < markdown.length; i++) {
    const c = markdown[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if ('[]()<>`:'.includes(c)) found.push(`${c} at ${i}`);
  }
  return found;
}

/** The text a reader sees in escaped markdown: each backslash escape gives back its character. */
export function unescapeMarkdown(markdown: string): string {
  return markdown.replace(/\\([!-/:-@[-`{-~])/g, '$1');
}

export function group(tickets: TicketTesting, status: Status): StatusGroupNode {
  tickets.flush();
  const node = tickets.treeProvider.getChildren().find((n): n is StatusGroupNode => n.kind === 'group' && n.status === status);
  assert.ok(node, `no ${status} group in the Tickets view`);
  return node;
}

export function ticketNode(tickets: TicketTesting, id: string): TicketTreeNode {
  tickets.flush();
  const node = tickets.treeProvider.ticketNode(id);
  assert.ok(node, `${id} is not in the Tickets view`);
  return node;
}

/** Drags `id` in the view and drops it on the `to` group (or on a node of the view), as the tree does. */
export async function dragTo(tickets: TicketTesting, id: string, to: Status | TicketTreeNode): Promise<void> {
  const dataTransfer = new vscode.DataTransfer();
  tickets.dragAndDrop.handleDrag([ticketNode(tickets, id)], dataTransfer);
  assert.equal(await dataTransfer.get(TICKETS_MIME)?.asString(), JSON.stringify([id]));
  await tickets.dragAndDrop.handleDrop(typeof to === 'string' ? group(tickets, to) : to, dataTransfer, new vscode.CancellationTokenSource().token);
}
