/**
 * Dismissing a Security finding: a person decides it needs no fix (a false positive, test data,
 * an accepted risk). The bug stays on record with the reason, who and when; the ticket's history
 * says so; its thread gets the decision and is resolved; the Security gate and the status bar stop
 * counting it. The same code serves the thread, the Problems entry and the ticket page.
 */
import type { Conversation } from '../domain/conversation';
import { FactoryError } from '../domain/errors';
import { isDismissed, SECURITY_AUTHOR } from '../domain/gates';
import type { Actor } from '../domain/status';
import type { Bug, DismissReason } from '../domain/ticket';
import type { BoardReader, BoardTx } from '../store/api';

export const DISMISS_REASON_TEXT: Record<DismissReason, string> = {
  'false-positive': 'a false positive',
  'test-data': 'test data',
  'accepted-risk': 'an accepted risk',
};

export interface DismissedFinding {
  bug: Bug;
  /** False when it had been dismissed before: nothing changed. */
  changed: boolean;
}

/** The Security bug a finding's thread is about (its key is the finding's fingerprint). */
export function findingBugOf(reader: BoardReader, conversation: Conversation): Bug | undefined {
  if (conversation.type !== 'security' || conversation.key === undefined) return undefined;
  return reader.listBugs(conversation.ticketId).find((b) => b.foundBy === SECURITY_AUTHOR && b.fingerprint === conversation.key);
}

/** A Security finding that is still open: neither fixed nor dismissed. */
export function isOpenFinding(bug: Bug | undefined): boolean {
  return bug !== undefined && bug.foundBy === SECURITY_AUTHOR && !bug.fixed && !isDismissed(bug);
}

export function dismissFinding(tx: BoardTx, bugId: string, ticketId: string, reason: DismissReason, by: Actor): DismissedFinding {
  const bug = tx.listBugs(ticketId).find((b) => b.id === bugId);
  if (!bug) throw new FactoryError('not-found', `there is no finding ${bugId} on ${ticketId}`);
  if (bug.foundBy !== SECURITY_AUTHOR) throw new FactoryError('invalid-input', `"${bug.title}" was not found by the Security agent; only its findings are dismissed`);
  if (isDismissed(bug)) return { bug, changed: false };
  const dismissed = tx.dismissBug(bug.id, reason, by);
  const why = DISMISS_REASON_TEXT[reason];
  tx.addHistoryNote(ticketId, by, `Dismissed the ${bug.severity} finding "${bug.title}" as ${why}`);
  const thread = bug.fingerprint ? tx.findConversation(ticketId, bug.fingerprint) : undefined;
  if (thread) {
    tx.addMessage({
      conversationId: thread.id,
      author: by,
      kind: 'system',
      body: `Dismissed as ${why}. The Security gate no longer counts this finding; it stays on the ticket's record.`,
      metadata: { dismissed: reason, bugId: bug.id },
    });
    if (thread.status !== 'resolved') tx.setConversationStatus(thread.id, 'resolved');
  }
  return { bug: dismissed, changed: true };
}
