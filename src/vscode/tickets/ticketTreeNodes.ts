import type { Status } from '../../domain/status';
import type { StatusGroup, TicketRow } from './ticketGroups';

/** A status group of the Tickets view: one node per status, kept while its group is rebuilt. */
export interface StatusGroupNode {
  readonly kind: 'group';
  readonly status: Status;
  /** The group as last built. */
  group: StatusGroup;
}

/**
 * A range of a big status group (see ticketRanges): one node per status and position, kept while
 * its group is rebuilt; its tickets are read from its group's node as last built.
 */
export interface TicketRangeNode {
  readonly kind: 'range';
  readonly status: Status;
  /** Its position among the group's ranges, from 0. */
  readonly index: number;
  readonly parent: StatusGroupNode;
}

/** One ticket under its status group, or under a range of it. */
export interface TicketNode {
  readonly kind: 'ticket';
  readonly ticketId: string;
  readonly status: Status;
  readonly row: TicketRow;
}

export type TicketTreeNode = StatusGroupNode | TicketRangeNode | TicketNode;

export function isTicketNode(value: unknown): value is TicketNode {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'ticket' && typeof (value as { ticketId?: unknown }).ticketId === 'string';
}

export function isStatusGroupNode(value: unknown): value is StatusGroupNode {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'group';
}
