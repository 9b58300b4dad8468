/**
 * A ticket's change as Review Changes, the CLI's `review` and the ticket document show it: its
 * worktree against the merge-base with its base branch. Reading it also refreshes what the
 * conflict radar recorded for the ticket, so every view agrees with the diff a person just saw.
 */
import { existsSync } from 'node:fs';
import { FactoryError } from '../domain/errors';
import { assertTicketId } from '../domain/ids';
import type { Ticket } from '../domain/ticket';
import { summarizeChanges, type ChangeSummary } from '../git/changeSummary';
import { isLiveForRadar, recordChanges, toRecordedChange } from '../radar/conflictRadar';
import type { Board, BoardReader } from '../store/api';

export interface TicketChanges extends ChangeSummary {
  ticket: Ticket;
  /** The ticket's worktree (where the right side of each diff lives). */
  worktree: string;
  branch: string;
}

/** The ticket's change against the merge-base with its base; fails with a reason a person can act on. */
export async function readTicketChanges(reader: BoardReader, ticketId: string, signal?: AbortSignal): Promise<TicketChanges> {
  const id = assertTicketId(ticketId);
  const ticket = reader.getTicket(id);
  if (!ticket) throw new FactoryError('not-found', `there is no ticket ${id} on this board`);
  if (!ticket.worktree) throw new FactoryError('invalid-input', `${id} has no worktree yet, so it changes nothing: start it first`);
  const { path, branch, base } = ticket.worktree;
  if (!existsSync(path)) {
    throw new FactoryError('not-found', `the worktree of ${id} is missing (${path}); the Worktree agent recreates it from ${branch} on its next cycle`);
  }
  const summary = await summarizeChanges(path, base, signal);
  return { ...summary, ticket, worktree: path, branch };
}

/** Records what was just read (only for tickets the radar follows; an unchanged record writes nothing). */
export async function recordTicketChanges(board: Board, changes: TicketChanges): Promise<void> {
  if (!isLiveForRadar(changes.ticket)) return;
  const files = changes.files.map(toRecordedChange);
  await board.write((tx) => recordChanges(tx, new Map([[changes.ticket.id, { base: changes.base, files }]]), new Set()));
}
