import * as vscode from 'vscode';
import { formatPercent } from '../../domain/checkin';
import type { Priority } from '../../domain/ticket';
import type { AttentionItem } from '../../loop/attention';
import { describeOverlap } from '../../radar/overlaps';
import type { AttentionModel } from '../attention/attentionModel';
import { Commands } from '../constants';
import { ticketDocumentUri } from '../document/ticketUri';
import { oneLine } from '../document/untrustedText';
import { Disposable } from '../util/disposable';
import { escapeMarkdown, untrustedMarkdown } from '../util/markdown';
import { groupCountText, ticketDescription, type TicketRow } from './ticketGroups';
import { isTicketNode, type StatusGroupNode, type TicketNode, type TicketTreeNode } from './ticketTreeNodes';
import type { TicketTreeModel } from './ticketTreeModel';
import { priorityName, statusLabel } from '../../domain/vocabulary';

const PRIORITY_ICONS: Record<Priority, vscode.ThemeIcon> = {
  1: new vscode.ThemeIcon('flame', new vscode.ThemeColor('charts.red')),
  2: new vscode.ThemeIcon('arrow-up', new vscode.ThemeColor('charts.orange')),
  3: new vscode.ThemeIcon('dash', new vscode.ThemeColor('charts.yellow')),
  4: new vscode.ThemeIcon('arrow-down', new vscode.ThemeColor('charts.blue')),
};

/**
 * Adapts the ticket model to the tree. Items carry stable ids (`status:READY`, `ticket:T-12`),
 * so VS Code keeps selection and expansion across refreshes and while a ticket changes group.
 */
export class TicketTreeProvider extends Disposable implements vscode.TreeDataProvider<TicketTreeNode> {
  private readonly changed = this._register(new vscode.EventEmitter<TicketTreeNode | undefined>());
  readonly onDidChangeTreeData = this.changed.event;
  private groupNodes: StatusGroupNode[] = [];
  private ticketNodes = new Map<string, TicketNode>();

  constructor(
    private readonly model: TicketTreeModel,
    private readonly attention: AttentionModel,
  ) {
    super();
    this.rebuild();
    this._register(
      model.onDidChange(() => {
        this.rebuild();
        this.changed.fire(undefined);
      }),
    );
    // Tooltips list what needs a person; the marks themselves come from TicketDecorations.
    this._register(attention.onDidChange(() => this.changed.fire(undefined)));
  }

  private rebuild(): void {
    this.groupNodes = this.model.statusGroups.map((group) => ({ kind: 'group', status: group.status, group }));
    this.ticketNodes = new Map();
    for (const group of this.model.statusGroups) {
      for (const row of group.rows) this.ticketNodes.set(row.ticket.id, { kind: 'ticket', ticketId: row.ticket.id, status: group.status, row });
    }
  }

  /** The current node of a ticket, for `TreeView.reveal`. */
  ticketNode(ticketId: string): TicketNode | undefined {
    return this.ticketNodes.get(ticketId);
  }

  getChildren(element?: TicketTreeNode): TicketTreeNode[] {
    if (!element) return this.groupNodes;
    if (element.kind === 'group') return element.group.rows.map((row) => this.ticketNodes.get(row.ticket.id)).filter((n): n is TicketNode => n !== undefined);
    return [];
  }

  getParent(element: TicketTreeNode): TicketTreeNode | undefined {
    if (!isTicketNode(element)) return undefined;
    return this.groupNodes.find((g) => g.status === element.status);
  }

  getTreeItem(element: TicketTreeNode): vscode.TreeItem {
    return element.kind === 'group' ? this.groupItem(element) : ticketItem(element.row);
  }

  /**
   * A ticket's tooltip is made when the pointer rests on its row, not for each of the thousands of
   * rows a big board sends to the view.
   */
  resolveTreeItem(item: vscode.TreeItem, element: TicketTreeNode): vscode.TreeItem {
    if (element.kind === 'ticket') item.tooltip = ticketTooltip(element.row, this.attention.forTicket(element.ticketId));
    return item;
  }

  private groupItem(node: StatusGroupNode): vscode.TreeItem {
    const state = node.status === 'DONE' ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.Expanded;
    const item = new vscode.TreeItem(statusLabel(node.status), state);
    item.id = `status:${node.status}`;
    item.description = groupCountText(node.group, this.model.filter !== undefined);
    item.contextValue = `status.${node.status}`;
    item.tooltip = `${statusLabel(node.status)} (${node.status}): ${item.description} ticket(s). Drop a ticket here to move it.`;
    return item;
  }
}

export function ticketItem(row: TicketRow): vscode.TreeItem {
  const { ticket } = row;
  const item = new vscode.TreeItem(`${ticket.id} ${oneLine(ticket.title)}`, vscode.TreeItemCollapsibleState.None);
  item.id = `ticket:${ticket.id}`;
  // The page's uri: TicketDecorations marks the row (and the page's tab) when it needs a person
  // or overlaps another ticket's files.
  item.resourceUri = ticketDocumentUri(ticket.id);
  item.iconPath = PRIORITY_ICONS[ticket.priority];
  item.description = ticketDescription(row);
  item.contextValue = `ticket.${ticket.status}${ticket.worktree ? '.worktree' : ''}`;
  item.command = { command: Commands.OpenTicket, title: 'Open Ticket', arguments: [ticket.id] };
  item.accessibilityInformation = { label: `${ticket.id}, ${oneLine(ticket.title)}, ${priorityName(ticket.priority)} priority, ${statusLabel(ticket.status)}` };
  return item;
}

/** Every piece of ticket text is escaped: the tooltip renders markdown without trust or HTML. */
export function ticketTooltip(row: TicketRow, attention: readonly AttentionItem[] = []): vscode.MarkdownString {
  const { ticket } = row;
  const md = untrustedMarkdown();
  md.appendMarkdown(`**${escapeMarkdown(ticket.id)}** ${escapeMarkdown(oneLine(ticket.title))}\n\n`);
  if (attention.length > 0) md.appendMarkdown(`${attention.map((a) => `Needs you: ${escapeMarkdown(oneLine(a.detail))}`).join('  \n')}\n\n`);
  const facts = [
    `Status: ${escapeMarkdown(statusLabel(ticket.status))}`,
    `Priority: ${escapeMarkdown(priorityName(ticket.priority))}`,
    `Type: ${escapeMarkdown(ticket.type)}`,
    `Source: ${escapeMarkdown(ticket.source)}`,
  ];
  if (ticket.labels.length > 0) facts.push(`Labels: ${ticket.labels.map((l) => escapeMarkdown(oneLine(l))).join(', ')}`);
  if (ticket.dependsOn.length > 0) {
    const waiting = row.waitingOn ?? [];
    facts.push(`Depends on: ${ticket.dependsOn.map((id) => escapeMarkdown(waiting.includes(id) ? `${id} (not done)` : `${id} (done)`)).join(', ')}`);
  }
  if (ticket.assignedAgent) facts.push(`Assigned: ${escapeMarkdown(oneLine(ticket.assignedAgent))}`);
  if (row.progress !== undefined) facts.push(`Progress: ${escapeMarkdown(formatPercent(row.progress, 0))}`);
  if (ticket.worktree) facts.push(`Branch: ${escapeMarkdown(oneLine(ticket.worktree.branch))}`);
  if (ticket.status === 'BLOCKED' && ticket.blockedReason) facts.push(`Blocked: ${escapeMarkdown(oneLine(ticket.blockedReason))}`);
  for (const o of row.overlaps ?? []) facts.push(`⚠ Changes the same files as ${escapeMarkdown(describeOverlap(o))}`);
  md.appendMarkdown(facts.join('  \n'));
  return md;
}
