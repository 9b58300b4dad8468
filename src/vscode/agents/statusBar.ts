import * as vscode from 'vscode';
import { isTicketId } from '../../domain/ids';
import { ATTENTION_KINDS, ATTENTION_LABELS, type Attention } from '../../loop/attention';
import type { BoardStatus } from '../../loop/boardStatus';
import { Commands, STATUS_BAR_ID } from '../constants';
import { oneLine } from '../document/untrustedText';
import { Disposable } from '../util/disposable';
import { escapeMarkdown, untrustedMarkdown } from '../util/markdown';
import type { AgentsModel } from './agentsModel';

/** Tickets listed per kind in the tooltip before "and N more". */
const LISTED = 8;

/**
 * Agents' health at a glance: "$(pulse) 4 agents", or what needs a person ("1 critical finding ·
 * 2 stalled"), with a warning background then, and an error background for a critical finding or
 * an agent in Error. The tooltip names the tickets, each a link that opens it.
 */
export class AgentsStatusBar extends Disposable {
  private readonly item = this._register(vscode.window.createStatusBarItem(STATUS_BAR_ID, vscode.StatusBarAlignment.Left, 10));

  constructor(private readonly model: AgentsModel) {
    super();
    this.item.name = 'Agent Factory';
    this.item.command = Commands.FocusAgents;
    this._register(model.onDidChange(() => this.render()));
    this.render();
    this.item.show();
  }

  get text(): string {
    return this.item.text;
  }

  private backgroundId: string | undefined;
  /** What the item showed at its last render: each change of the item is a message to the workbench. */
  private shown: string | undefined;

  /** The theme colour id of the background, or undefined for none (tests read it). */
  get background(): string | undefined {
    return this.backgroundId;
  }

  render(): void {
    const status = this.model.boardStatus();
    if (!status) {
      this.show('$(pulse) Agent Factory', 'No board in this workspace', undefined, undefined);
      return;
    }
    const icon = status.level === 'error' ? '$(error)' : status.level === 'warning' ? '$(warning)' : '$(pulse)';
    const background = status.level === 'error' ? 'statusBarItem.errorBackground' : status.level === 'warning' ? 'statusBarItem.warningBackground' : undefined;
    this.show(`${icon} ${status.headline}`, tooltip(status, this.model.note), background, `Agent Factory: ${status.headline}`);
  }

  private show(text: string, tip: string | vscode.MarkdownString, background: string | undefined, label: string | undefined): void {
    const look = JSON.stringify([text, typeof tip === 'string' ? tip : tip.value, background, label]);
    if (look === this.shown) return;
    this.shown = look;
    this.item.text = text;
    this.item.tooltip = tip;
    this.setBackground(background);
    this.item.accessibilityInformation = label === undefined ? undefined : { label };
  }

  private setBackground(id: string | undefined): void {
    this.backgroundId = id;
    this.item.backgroundColor = id === undefined ? undefined : new vscode.ThemeColor(id);
  }

  /** The tooltip as plain text (for tests and the accessibility of the item). */
  get tooltipText(): string {
    const tooltip = this.item.tooltip;
    return typeof tooltip === 'string' ? tooltip : (tooltip?.value ?? '');
  }
}

function tooltip(status: BoardStatus, note: string | undefined): vscode.MarkdownString {
  // Trusted for one command only, Open Ticket, whose links carry validated ticket ids; every
  // piece of ticket or agent text is escaped.
  const md = untrustedMarkdown();
  md.isTrusted = { enabledCommands: [Commands.OpenTicket] };
  md.appendMarkdown('**Agent Factory**\n\n');
  appendAttention(md, status.attention);
  for (const a of status.agents) md.appendMarkdown(`- ${escapeMarkdown(a.name)}: ${escapeMarkdown(a.state)} — ${escapeMarkdown(a.activity)}\n`);
  if (status.progress !== undefined) md.appendMarkdown(`\nBoard progress: ${escapeMarkdown(status.progress)}`);
  md.appendMarkdown(`\n\n${escapeMarkdown(status.autopilotLine)}  \n${escapeMarkdown(status.queue)}`);
  if (note) md.appendMarkdown(`\n\n${escapeMarkdown(note)}`);
  return md;
}

function appendAttention(md: vscode.MarkdownString, attention: Attention): void {
  for (const kind of ATTENTION_KINDS) {
    const items = attention.items.filter((i) => i.kind === kind);
    if (items.length === 0) continue;
    md.appendMarkdown(`**${escapeMarkdown(ATTENTION_LABELS[kind])}**\n\n`);
    for (const item of items.slice(0, LISTED)) md.appendMarkdown(`- ${ticketLink(item.ticketId)}: ${escapeMarkdown(oneLine(item.detail).slice(0, 160))}\n`);
    if (items.length > LISTED) md.appendMarkdown(`- and ${items.length - LISTED} more\n`);
    md.appendMarkdown('\n');
  }
}

/** A link that opens the ticket; anything that is not a ticket id stays text. */
export function ticketLink(ticketId: string): string {
  if (!isTicketId(ticketId)) return escapeMarkdown(ticketId);
  const args = encodeURIComponent(JSON.stringify([ticketId]));
  // A validated id (T- and digits) needs no escape, and reads as itself.
  return `[${ticketId}](command:${Commands.OpenTicket}?${args})`;
}
