/**
 * The shape of the Tickets view: one group per status in pipeline order (BACKLOG ... DONE, then
 * BLOCKED), tickets by priority then id inside a group. Pure, so it is tested in plain node.
 */
import { STATUSES, type Status } from '../../domain/status';
import type { Ticket } from '../../domain/ticket';
import { ticketNumber } from '../../domain/ids';
import { describeTotals, type ChangeTotals } from '../../git/changeSummary';
import type { Overlap } from '../../radar/overlaps';
import { matchesTicketFilter, type TicketFilterSpec } from './ticketFilter';

export interface TicketRow {
  ticket: Ticket;
  /** The latest check-in's progress, 0..100, when there is one. */
  progress?: number | undefined;
  /** Its dependencies that are not DONE yet. */
  waitingOn?: readonly string[] | undefined;
  /** What it changes against its base, as last recorded. */
  changes?: ChangeTotals | undefined;
  /** Live tickets changing the same files (the conflict radar). */
  overlaps?: readonly Overlap[] | undefined;
}

export interface StatusGroup {
  status: Status;
  rows: TicketRow[];
  /** Tickets in this status before filtering. */
  total: number;
}

/**
 * Every status gets a group, even an empty one, because an empty group is still a drop target,
 * unless `hideEmpty` (then a status shows once it has a ticket, whatever the filter). An empty board gets no
 * groups at all so the view shows its welcome content instead.
 */
export function groupTickets(rows: readonly TicketRow[], filter?: TicketFilterSpec, hideEmpty = false): StatusGroup[] {
  if (rows.length === 0) return [];
  const groups = new Map<Status, StatusGroup>(STATUSES.map((status) => [status, { status, rows: [], total: 0 }]));
  for (const row of rows) {
    const group = groups.get(row.ticket.status);
    if (!group) continue;
    group.total++;
    if (matchesTicketFilter(row.ticket, filter)) group.rows.push(row);
  }
  for (const group of groups.values()) group.rows.sort(compareRows);
  return [...groups.values()].filter((g) => !hideEmpty || g.total > 0);
}

function compareRows(a: TicketRow, b: TicketRow): number {
  return a.ticket.priority - b.ticket.priority || ticketNumber(a.ticket.id) - ticketNumber(b.ticket.id);
}

/** "3", or "1 of 3" while a filter hides some. */
export function groupCountText(group: StatusGroup, filtered: boolean): string {
  return filtered && group.rows.length !== group.total ? `${group.rows.length} of ${group.total}` : String(group.rows.length);
}

/** The item's description: what it waits on, who works it and how far along it is, whichever is known. */
export function ticketDescription(row: TicketRow): string {
  const parts: string[] = [];
  if (row.waitingOn && row.waitingOn.length > 0 && row.ticket.status !== 'DONE') parts.push(`waits on ${row.waitingOn.join(', ')}`);
  if (row.ticket.assignedAgent) parts.push(row.ticket.assignedAgent);
  if (row.progress !== undefined && Number.isFinite(row.progress)) parts.push(`${Math.round(Math.min(100, Math.max(0, row.progress)))}%`);
  if (row.changes && row.changes.files > 0) parts.push(describeTotals(row.changes));
  return parts.join(' · ');
}

/**
 * Everything the view shows of the groups, as one string: a refresh that would show the same
 * thing (a run heartbeat, a check-in with the same progress) is not worth redrawing the tree.
 */
export function groupsSignature(groups: readonly StatusGroup[]): string {
  return JSON.stringify(groups.map((g) => [g.status, g.total, g.rows.map(shownFields)]));
}

/** Everything the view shows of one row, as one string (its part of groupsSignature). */
export function rowSignature(row: TicketRow): string {
  return JSON.stringify(shownFields(row));
}

/** A number that orders rows as a group does: by priority, then by ticket number. */
export function rowOrder(row: TicketRow): number {
  return row.ticket.priority * 2 ** 44 + ticketNumber(row.ticket.id);
}

function shownFields({ ticket: t, progress, waitingOn, changes, overlaps }: TicketRow): unknown[] {
  return [t.id, t.title, t.priority, t.type, t.source, t.labels, t.assignedAgent, t.worktree?.branch, t.blockedReason, t.dependsOn, waitingOn, progress, changes, overlaps];
}
