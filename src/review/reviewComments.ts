/**
 * A person's comment on a line of a ticket's change (the right side of Review Changes' diff): a
 * bug on the ticket with its file and line, and a thread on that line whose first message is
 * addressed to the ticket's agent, which reads it through `agent-factory inbox`. One transaction.
 */
import type { Conversation, Message } from '../domain/conversation';
import { FactoryError } from '../domain/errors';
import { TITLE_MAX, type Bug } from '../domain/ticket';
import { messageAgent } from '../loop/inbox';
import type { BoardTx } from '../store/api';

export const REVIEW_FINGERPRINT_PREFIX = 'review:';

export interface ReviewComment {
  ticketId: string;
  /** Worktree-relative, forward slashes. */
  file: string;
  /** 1-based. */
  line: number;
  body: string;
  author?: string | undefined;
}

export interface FiledComment {
  bug: Bug;
  conversation: Conversation;
  message: Message;
}

/** True for the bugs review comments (and Request Changes' summary) filed. */
export function isReviewBug(bug: Bug): boolean {
  return bug.fingerprint?.startsWith(REVIEW_FINGERPRINT_PREFIX) === true;
}

export function fileReviewComment(tx: BoardTx, c: ReviewComment): FiledComment {
  const ticket = tx.getTicket(c.ticketId);
  if (!ticket) throw new FactoryError('not-found', `there is no ticket ${c.ticketId}`);
  const file = relativeFile(c.file);
  if (!Number.isSafeInteger(c.line) || c.line < 1) throw new FactoryError('invalid-input', `a review comment needs a line number (1 or more), not ${String(c.line)}`);
  const body = c.body.trim();
  if (body === '') throw new FactoryError('invalid-input', 'an empty comment was not saved');
  const author = c.author ?? 'user';
  const conversation = tx.createConversation({ ticketId: ticket.id, type: 'review', title: clip(`Review comment on ${file} line ${c.line}`), file, line: c.line });
  const { message } = messageAgent(tx, { ticketId: ticket.id, conversationId: conversation.id, body, author });
  const bug = fileReviewBug(tx, ticket.id, body, author, { file, line: c.line, messageId: message.id });
  return { bug, conversation, message };
}

/** A review bug from free text, tied to the message that carries it to the agent. */
export function fileReviewBug(tx: BoardTx, ticketId: string, body: string, author: string, at: { file?: string; line?: number; messageId: string }): Bug {
  const firstLine = body.split(/\r?\n/)[0]?.trim() || body;
  const title = clip(firstLine);
  return tx.addBug({
    ticketId,
    title,
    description: title === body ? '' : body,
    severity: 'medium',
    foundBy: author,
    ...(at.file !== undefined ? { file: at.file } : {}),
    ...(at.line !== undefined ? { line: at.line } : {}),
    fingerprint: `${REVIEW_FINGERPRINT_PREFIX}${at.messageId}`,
  });
}

/** A path inside the worktree as git names it; anything that could leave it is refused. */
function relativeFile(file: string): string {
  const f = file.replace(/\\/g, '/').trim();
  if (f === '' || f.startsWith('/') || /^[A-Za-z]:/.test(f) || f.includes('\0') || f.split('/').some((part) => part === '..' || part === '')) {
    throw new FactoryError('invalid-input', `not a file of the worktree: ${JSON.stringify(file).slice(0, 80)}`);
  }
  return f;
}

function clip(text: string): string {
  const chars = [...text];
  return chars.length > TITLE_MAX ? `${chars.slice(0, TITLE_MAX - 1).join('')}…` : text;
}
