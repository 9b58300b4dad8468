/**
 * Decoding a board's working tickets ahead of their readers. The store keeps every ticket it has
 * decoded until a write changes it, so the first reader of a freshly opened board pays for all of
 * them at once: on a board of thousands of tickets, the attention list, the status line and the
 * agents' first cycles each read hundreds of active and ready tickets in one call. Read a page at a
 * time first, with a turn of the event loop between pages, those calls find them decoded.
 */
import { ticketNumber } from '../domain/ids';
import { ACTIVE_STATUSES, type Status } from '../domain/status';
import type { BoardReader } from './api';

/** The tickets every window reads soon after opening a board: all but the backlog and the done. */
export const WORKING_STATUSES: readonly Status[] = ['READY', ...ACTIVE_STATUSES, 'BLOCKED'];

/** Tickets decoded per step: about 1 ms each on the 10,000-ticket bench board, two cores. */
const PAGE = 50;

/** Reads the tickets of `statuses` a page per step; run it in slices (SlicedJob). */
export function* decodeTickets(reader: BoardReader, statuses: readonly Status[] = WORKING_STATUSES): Generator<void, void, undefined> {
  for (let after = 0; ; ) {
    const page = reader.readTickets({ status: statuses }, { afterNumber: after, limit: PAGE });
    if (page.length < PAGE) return;
    after = ticketNumber(page[page.length - 1].id);
    yield;
  }
}
