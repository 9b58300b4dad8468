/**
 * The two-way inbox between people and a ticket's coding agent. What a person writes on a ticket
 * (a reply in any of its threads, or "Message the Agent") is addressed to the agent working it;
 * `agent-factory inbox` hands each message to the running agent once and marks it read. When the
 * agent had stopped with `block`, a person's reply is the answer: the ticket goes back to READY,
 * and the next attempt's prompt carries the question and the answer.
 */
import { ensurePmThread } from '../agents/pm/thread';
import type { Message, MessageKind } from '../domain/conversation';
import { FactoryError } from '../domain/errors';
import type { Run } from '../domain/run';
import type { Ticket } from '../domain/ticket';
import type { BoardReader, BoardTx } from '../store/api';

/** Message metadata naming the run whose `block` a person's message answered. */
export const ANSWERS_KEY = 'answers';
const NOTE_MAX = 200;

export interface AgentMessage {
  ticketId: string;
  body: string;
  /** Who wrote it; a person by default. */
  author?: string;
  kind?: MessageKind;
  /** The thread it was written in; the ticket's PM thread when not given. */
  conversationId?: string;
}

export interface SentMessage {
  message: Message;
  /** The ticket went back to READY because this message answered its agent's question. */
  answered: boolean;
}

/** Every message addressed to the ticket's agent, oldest first. */
export function messagesForAgent(reader: BoardReader, ticketId: string): Message[] {
  return reader
    .listConversations({ ticketId })
    .flatMap((c) => reader.listMessages(c.id))
    .filter((m) => m.toAgent)
    .sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
}

/** The messages addressed to the ticket's agent that no run has read yet, oldest first. */
export function unreadForAgent(reader: BoardReader, ticketId: string): Message[] {
  return messagesForAgent(reader, ticketId).filter((m) => m.readAt === undefined);
}

/** Hands the unread messages of the run's ticket to the run: returns them and marks them read. */
export function takeInbox(tx: BoardTx, run: Run, now: number): Message[] {
  const unread = unreadForAgent(tx, run.ticketId);
  if (unread.length === 0) return [];
  tx.markMessagesRead(
    unread.map((m) => m.id),
    run.id,
  );
  tx.updateRun(run.id, { lastOutputAt: now });
  return unread;
}

/**
 * The run whose `block` the ticket is waiting on a person's answer for: the ticket is BLOCKED, its
 * latest run reported the `blocked` verdict, and that agent made the move to BLOCKED. A ticket a
 * person blocked by hand is not waiting on an answer, so a reply does not unblock it.
 */
export function awaitingAnswer(reader: BoardReader, ticket: Ticket): Run | undefined {
  if (ticket.status !== 'BLOCKED') return undefined;
  const latest = reader
    .listRuns({ ticketId: ticket.id })
    .sort((a, b) => a.startedAt - b.startedAt)
    .at(-1);
  const blockedBy = reader.history(ticket.id).at(-1);
  if (latest?.verdict !== 'blocked' || blockedBy?.to !== 'BLOCKED' || blockedBy.by !== latest.agent) return undefined;
  return latest;
}

/**
 * Writes a message to the ticket's agent. When the ticket waits on an answer to its agent's
 * `block`, the message is that answer: the ticket goes back to READY (its worktree and branch
 * kept), and the message records which question it answered.
 */
export function messageAgent(tx: BoardTx, m: AgentMessage): SentMessage {
  const ticket = tx.getTicket(m.ticketId);
  if (!ticket) throw new FactoryError('not-found', `there is no ticket ${m.ticketId}`);
  const body = m.body.trim();
  if (body === '') throw new FactoryError('invalid-input', 'an empty message was not sent');
  const author = m.author ?? 'user';
  let conversationId = m.conversationId;
  if (conversationId === undefined) {
    conversationId = ensurePmThread(tx, ticket.id).id;
  } else if (tx.getConversation(conversationId)?.ticketId !== ticket.id) {
    throw new FactoryError('not-found', `conversation ${conversationId} is not on ${ticket.id}`);
  }
  const question = awaitingAnswer(tx, ticket);
  const message = tx.addMessage({
    conversationId,
    author,
    kind: m.kind ?? 'reply',
    body,
    toAgent: true,
    ...(question ? { metadata: { [ANSWERS_KEY]: question.id } } : {}),
  });
  if (!question) return { message, answered: false };
  tx.transition(ticket.id, 'BLOCKED', 'READY', author, `Answered: ${shorten(body)}`);
  tx.updateTicket(ticket.id, { assignedAgent: null });
  tx.addMessage({
    conversationId,
    author: 'runner',
    kind: 'system',
    body: `${ticket.id} is READY again: the next attempt's prompt carries the question and this answer.`,
    metadata: { [ANSWERS_KEY]: question.id },
  });
  return { message, answered: true };
}

export interface AnsweredQuestion {
  run: Run;
  /** What the agent asked (the reason it gave `block`). */
  question: string;
  answers: Message[];
}

/** The questions agents asked with `block` on this ticket, each with the answers people gave, oldest first. */
export function answeredQuestions(reader: BoardReader, ticketId: string): AnsweredQuestion[] {
  const messages = messagesForAgent(reader, ticketId);
  return reader
    .listRuns({ ticketId })
    .filter((r) => r.verdict === 'blocked')
    .sort((a, b) => a.startedAt - b.startedAt)
    .map((run) => ({ run, question: run.summary ?? run.note ?? '', answers: messages.filter((m) => m.metadata?.[ANSWERS_KEY] === run.id) }))
    .filter((q) => q.answers.length > 0);
}

function shorten(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > NOTE_MAX ? `${flat.slice(0, NOTE_MAX - 1)}…` : flat;
}
