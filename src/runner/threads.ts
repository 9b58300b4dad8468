/**
 * The two conversations runs write to: the ticket's run thread (what each attempt did, with the
 * tail of a failed attempt's log) and the ticket's PM thread (what agents report through the CLI,
 * where the PM's check-ins also go).
 */
import type { Conversation } from '../domain/conversation';
import { PM_THREAD_KEY, RUN_THREAD_KEY } from '../domain/threadKeys';
import type { BoardReader, BoardTx } from '../store/api';

export { PM_THREAD_KEY, RUN_THREAD_KEY };

export function findRunThread(board: BoardReader, ticketId: string): Conversation | undefined {
  return board.findConversation(ticketId, RUN_THREAD_KEY);
}

export function ensureRunThread(tx: BoardTx, ticketId: string): Conversation {
  return findRunThread(tx, ticketId) ?? tx.createConversation({ ticketId, type: 'run', title: `Agent runs of ${ticketId}`, key: RUN_THREAD_KEY });
}

/**
 * The PM thread as agents write to it: unlike the PM's own check-ins, a note from an agent does
 * not reopen a thread someone resolved.
 */
export function ensurePmThread(tx: BoardTx, ticketId: string): Conversation {
  return (
    tx.findConversation(ticketId, PM_THREAD_KEY) ??
    tx.createConversation({ ticketId, type: 'pm_checkin', title: `PM check-ins on ${ticketId}`, key: PM_THREAD_KEY })
  );
}
