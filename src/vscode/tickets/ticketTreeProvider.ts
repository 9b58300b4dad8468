import * as vscode from 'vscode';
import { formatPercent } from '../../domain/checkin';
import type { Status } from '../../domain/status';
import type { Priority } from '../../domain/ticket';
import type { AttentionItem } from '../../loop/attention';
import { describeOverlap } from '../../radar/overlaps';
import type { AttentionModel } from '../attention/attentionModel';
import { Commands } from '../constants';
import { ticketDocumentUri } from '../document/ticketUri';
import { oneLine } from '../document/untrustedText';
import { Disposable } from '../util/disposable';
import { escapeMarkdown, untrustedMarkdown } from '../util/markdown';
import { groupCountText, ticketDescription, type StatusGroup, type TicketRow } from './ticketGroups';
import { SlicedJob } from './slicedJob';
import type { StatusGroupNode, TicketNode, TicketRangeNode, TicketTreeNode } from './ticketTreeNodes';
import { rangeAt, rangeLabel, TICKET_RANGE_SIZE, ticketRanges } from './ticketRanges';
import type { TicketTreeModel } from './ticketTreeModel';
import { priorityName, statusLabel } from '../../domain/vocabulary';

const PRIORITY_ICONS: Record<Priority, vscode.ThemeIcon> = {
  1: new vscode.ThemeIcon('flame', new vscode.ThemeColor('charts.red')),
  2: new vscode.ThemeIcon('arrow-up', new vscode.ThemeColor('charts.orange')),
  3: new vscode.ThemeIcon('dash', new vscode.ThemeColor('charts.yellow')),
  4: new vscode.ThemeIcon('arrow-down', new vscode.ThemeColor('charts.blue')),
};

/** Rows whose nodes and tree items are made per step of a group's or range's fetch. */
const ROWS_PER_STEP = 100;

/**
 * Adapts the ticket model to the tree. Items carry stable ids (`status:READY`, `ticket:T-12`,
 * `range:BACKLOG:0`), so VS Code keeps selection and expansion across refreshes and while a
 * ticket changes group.
 *
 * Nodes and tree items are made when VS Code asks for a group's children and kept per row: the
 * model keeps a row that did not change, so a refresh makes items only for the rows it changed,
 * and only the groups the model says changed are refreshed. A group of more than
 * TICKET_RANGE_SIZE tickets holds ranges of them instead (VS Code's own tree code takes a node's
 * children in one block of the host's thread); a change that leaves every ticket of such a group
 * where it was refreshes only the ranges whose tickets look different. A big fetch makes its
 * nodes and items in slices (getChildren answers with a Promise then).
 */
export class TicketTreeProvider extends Disposable implements vscode.TreeDataProvider<TicketTreeNode> {
  private readonly changed = this._register(new vscode.EventEmitter<TicketTreeNode | TicketTreeNode[] | undefined>());
  readonly onDidChangeTreeData = this.changed.event;
  private readonly groupNodes = new Map<Status, StatusGroupNode>();
  /** Range nodes by `status:index`. */
  private readonly rangeNodes = new Map<string, TicketRangeNode>();
  private readonly ticketNodes = new WeakMap<TicketRow, TicketNode>();
  private readonly items = new WeakMap<TicketRow, vscode.TreeItem>();
  /** A group's ticket nodes: all of them, or those of each range by its index. */
  private readonly children = new WeakMap<StatusGroup, Map<number, TicketNode[]>>();
  /** Where each ticket of a group is in it, worked out when a ticket's range is asked for. */
  private readonly positions = new WeakMap<StatusGroup, Map<string, number>>();
  private readonly itemJobs = new Set<SlicedJob>();
  /** The tickets whose tooltip named something that needs a person, when last refreshed. */
  private attentionTickets = new Set<string>();

  constructor(
    private readonly model: TicketTreeModel,
    private readonly attention: AttentionModel,
  ) {
    super();
    this._register(
      model.onDidChange(({ statuses }) => {
        const before = new Map([...this.groupNodes].map(([status, node]) => [status, node.group]));
        const roots = this.roots();
        if (statuses === undefined) {
          this.changed.fire(undefined);
          return;
        }
        const touched = roots.filter((node) => statuses.includes(node.status)).flatMap((node) => this.touched(node, before.get(node.status)));
        if (touched.length > 0) this.changed.fire(touched);
      }),
    );
    this.attentionTickets = new Set(attention.current.tickets);
    // Tooltips list what needs a person; the marks themselves come from TicketDecorations.
    this._register(
      attention.onDidChange(() => {
        const now = new Set(attention.current.tickets);
        const touched = [...new Set([...now, ...this.attentionTickets])].map((id) => this.ticketNode(id)).filter((n): n is TicketNode => n !== undefined);
        this.attentionTickets = now;
        if (touched.length > 0) this.changed.fire(touched);
      }),
    );
    this._register({ dispose: () => this.itemJobs.forEach((job) => job.cancel()) });
  }

  /** The current node of a ticket, for `TreeView.reveal`. */
  ticketNode(ticketId: string): TicketNode | undefined {
    const row = this.model.row(ticketId);
    return row === undefined ? undefined : this.nodeOf(row);
  }

  /** The groups (without an element, as tests ask after `flush`); while the model's first build of a board runs, VS Code gets a Promise of them. */
  getChildren(): TicketTreeNode[];
  getChildren(element: TicketTreeNode | undefined): TicketTreeNode[] | Promise<TicketTreeNode[]>;
  getChildren(element?: TicketTreeNode): TicketTreeNode[] | Promise<TicketTreeNode[]> {
    if (!element) return this.model.building ? this.model.built().then(() => this.roots()) : this.roots();
    if (element.kind === 'ticket') return [];
    if (element.kind === 'range') {
      const { group } = element.parent;
      const range = rangeAt(group.rows.length, element.index * TICKET_RANGE_SIZE);
      // A range its group no longer has (VS Code may ask once more before its refresh) holds nothing.
      return range ? this.ticketChildren(group, range.index, range.start, range.end) : [];
    }
    const { group } = element;
    const ranges = ticketRanges(group.rows.length);
    if (ranges.length > 0) return ranges.map((range) => this.rangeNode(element, range.index));
    return this.ticketChildren(group, -1, 0, group.rows.length);
  }

  getParent(element: TicketTreeNode): TicketTreeNode | undefined {
    if (element.kind === 'group') return undefined;
    if (element.kind === 'range') return element.parent;
    // The ticket as last built: a node VS Code kept may be of before it moved.
    const status = this.model.row(element.ticketId)?.ticket.status ?? element.status;
    const groupNode = this.roots().find((g) => g.status === status);
    if (!groupNode) return undefined;
    const { group } = groupNode;
    const range = rangeAt(group.rows.length, this.positionOf(group, element.ticketId));
    return range ? this.rangeNode(groupNode, range.index) : groupNode;
  }

  getTreeItem(element: TicketTreeNode): vscode.TreeItem {
    if (element.kind === 'group') return this.groupItem(element);
    if (element.kind === 'range') return rangeItem(element);
    const item = this.itemOf(element.row);
    // A tooltip is resolved afresh for each showing (what needs a person changes).
    item.tooltip = undefined;
    return item;
  }

  /**
   * A ticket's tooltip is made when the pointer rests on its row, not for each of the thousands of
   * rows a big board sends to the view.
   */
  resolveTreeItem(item: vscode.TreeItem, element: TicketTreeNode): vscode.TreeItem {
    if (element.kind === 'ticket') item.tooltip = ticketTooltip(element.row, this.attention.forTicket(element.ticketId));
    return item;
  }

  /** The visible groups' nodes, each holding its group as last built. */
  private roots(): StatusGroupNode[] {
    return this.model.statusGroups.map((group) => {
      let node = this.groupNodes.get(group.status);
      if (node) node.group = group;
      else this.groupNodes.set(group.status, (node = { kind: 'group', status: group.status, group }));
      return node;
    });
  }

  private rangeNode(parent: StatusGroupNode, index: number): TicketRangeNode {
    const key = `${parent.status}:${index}`;
    let node = this.rangeNodes.get(key);
    if (!node) this.rangeNodes.set(key, (node = { kind: 'range', status: parent.status, index, parent }));
    return node;
  }

  /**
   * What to refresh of a group the model rebuilt: the group (and so everything under it) when its
   * count or its tickets' places changed, else only the ranges whose tickets look different.
   */
  private touched(node: StatusGroupNode, before: StatusGroup | undefined): TicketTreeNode[] {
    const now = node.group;
    const ranges = ticketRanges(now.rows.length);
    if (!before || ranges.length === 0 || before.total !== now.total || before.rows.length !== now.rows.length) return [node];
    if (now.rows.some((row, i) => row.ticket.id !== before.rows[i].ticket.id)) return [node];
    return ranges.filter((r) => now.rows.slice(r.start, r.end).some((row, i) => row !== before.rows[r.start + i])).map((r) => this.rangeNode(node, r.index));
  }

  private positionOf(group: StatusGroup, ticketId: string): number {
    let positions = this.positions.get(group);
    if (!positions) this.positions.set(group, (positions = new Map(group.rows.map((row, i) => [row.ticket.id, i]))));
    return positions.get(ticketId) ?? -1;
  }

  private nodeOf(row: TicketRow): TicketNode {
    let node = this.ticketNodes.get(row);
    if (!node) this.ticketNodes.set(row, (node = { kind: 'ticket', ticketId: row.ticket.id, status: row.ticket.status, row }));
    return node;
  }

  private itemOf(row: TicketRow): vscode.TreeItem {
    let item = this.items.get(row);
    if (!item) this.items.set(row, (item = ticketItem(row)));
    return item;
  }

  /** The nodes of a group's rows `start` to `end - 1` (`slot` -1 for all of them, else the range's index), kept while the group is. */
  private ticketChildren(group: StatusGroup, slot: number, start: number, end: number): TicketNode[] | Promise<TicketNode[]> {
    const known = this.children.get(group)?.get(slot);
    if (known) return known;
    const nodes: TicketNode[] = [];
    const job = new SlicedJob(this.makeChildren(group, slot, start, end, nodes), () => undefined);
    job.start();
    if (!job.running) return nodes;
    this.itemJobs.add(job);
    return job.done.then(() => {
      this.itemJobs.delete(job);
      return nodes;
    });
  }

  /** Nodes with their tree items made, a hundred rows per step. */
  private *makeChildren(group: StatusGroup, slot: number, start: number, end: number, nodes: TicketNode[]): Generator<void, void, undefined> {
    for (let i = start; i < end; i++) {
      const row = group.rows[i];
      nodes.push(this.nodeOf(row));
      this.itemOf(row);
      if (nodes.length % ROWS_PER_STEP === 0) yield;
    }
    let slots = this.children.get(group);
    if (!slots) this.children.set(group, (slots = new Map<number, TicketNode[]>()));
    slots.set(slot, nodes);
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

/**
 * A range of a big group, collapsed until opened. Its label holds ticket ids and a count only;
 * its accessible name says what it is (and does not pass for a ticket's row).
 */
export function rangeItem(node: TicketRangeNode): vscode.TreeItem {
  const { rows } = node.parent.group;
  const range = rangeAt(rows.length, node.index * TICKET_RANGE_SIZE);
  const status = statusLabel(node.status);
  const item = new vscode.TreeItem(range ? rangeLabel(rows, range) : '', vscode.TreeItemCollapsibleState.Collapsed);
  item.id = `range:${node.status}:${node.index}`;
  item.contextValue = `range.${node.status}`;
  if (range) {
    const first = rows[range.start].ticket.id;
    const last = rows[range.end - 1].ticket.id;
    item.tooltip = `${status}: tickets ${range.start + 1} to ${range.end} of ${rows.length}, ${first} to ${last} in the group's order. Drop a ticket here to move it to ${status}.`;
    item.accessibilityInformation = { label: `Tickets ${first} to ${last}, ${range.end - range.start} of ${rows.length} in ${status}` };
  }
  return item;
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
