/** The one PM thread of a ticket: found by its key, reopened rather than duplicated. */
import type { Conversation, MessageKind } from '../../domain/conversation';
import { PM_THREAD_KEY } from '../../domain/threadKeys';
import type { BoardTx } from '../../store/api';

export { PM_THREAD_KEY };
export const PM_AUTHOR = 'PM';

export function ensurePmThread(tx: BoardTx, ticketId: string): Conversation {
  const existing = tx.findConversation(ticketId, PM_THREAD_KEY);
  if (existing) {
    if (existing.status !== 'open') tx.setConversationStatus(existing.id, 'open');
    return { ...existing, status: 'open' };
  }
  return tx.createConversation({ ticketId, type: 'pm_checkin', title: `PM check-ins on ${ticketId}`, key: PM_THREAD_KEY });
}

export function postToPmThread(
  tx: BoardTx,
  ticketId: string,
  body: string,
  kind: MessageKind,
  metadata?: Record<string, unknown>,
  author = PM_AUTHOR,
): Conversation {
  const thread = ensurePmThread(tx, ticketId);
  tx.addMessage({ conversationId: thread.id, author, kind, body, ...(metadata ? { metadata } : {}) });
  return thread;
}
