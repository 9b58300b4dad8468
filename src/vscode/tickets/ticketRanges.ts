/**
 * A big status group is shown in ranges, as VS Code's debug Variables view chunks a big array:
 * a group of more than TICKET_RANGE_SIZE tickets holds collapsed range nodes ("T-1 – T-250
 * (250)"), each with at most that many of the group's tickets in the group's order. A range is
 * known by its status and position, so an expanded range stays expanded across rebuilds. Pure,
 * so it is tested in plain node.
 */
import type { TicketRow } from './ticketGroups';

/**
 * Tickets under one node at most. VS Code's own tree code takes a node's children in one
 * synchronous block of the extension host's thread, about 25 µs a child (145 ms for a group of
 * 5,700 on a 2-core machine): 250 keep a group or range under 7 ms, inside the 16 ms a block may
 * take even when the machine is twice as slow, and are still a screenful or two to scroll.
 */
export const TICKET_RANGE_SIZE = 250;

/** One range of a group: the rows at positions `start` to `end - 1`. */
export interface TicketRange {
  /** Its position among the group's ranges, from 0. */
  readonly index: number;
  readonly start: number;
  readonly end: number;
}

/** The ranges a group of `count` tickets shows, or none when it shows its tickets themselves. */
export function ticketRanges(count: number, size = TICKET_RANGE_SIZE): TicketRange[] {
  if (count <= size) return [];
  const ranges: TicketRange[] = [];
  for (let index = 0; index * size < count; index++) ranges.push({ index, start: index * size, end: Math.min(count, (index + 1) * size) });
  return ranges;
}

/** The range holding the row at `position` of a group of `count` tickets; undefined when the group has no ranges. */
export function rangeAt(count: number, position: number, size = TICKET_RANGE_SIZE): TicketRange | undefined {
  if (count <= size || position < 0 || position >= count) return undefined;
  const index = Math.floor(position / size);
  return { index, start: index * size, end: Math.min(count, (index + 1) * size) };
}

/**
 * "T-1 – T-250 (250)": the range's first and last ticket in the group's order and how many it
 * holds. Only ticket ids (which have one strict shape) and a number go in, never ticket text.
 */
export function rangeLabel(rows: readonly TicketRow[], range: TicketRange): string {
  return `${rows[range.start].ticket.id} – ${rows[range.end - 1].ticket.id} (${range.end - range.start})`;
}
