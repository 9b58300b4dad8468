/**
 * A person's verdict on a ticket under review. Request Changes is the rework path: the ticket goes
 * back to IN_DEV (moved by the user) with the review's open bugs, which the next attempt's prompt
 * lists and whose comments the agent reads in its inbox. Approve moves it to the next stage of the
 * pipeline, as an agent's `approve` would. Each is one transaction with compare-and-set.
 */
import { FactoryError } from '../domain/errors';
import { isReviewStage, nextStageIn } from '../domain/pipeline';
import type { Status } from '../domain/status';
import type { Bug, Ticket } from '../domain/ticket';
import { messageAgent } from '../loop/inbox';
import type { BoardTx } from '../store/api';
import { fileReviewBug, isReviewBug } from './reviewComments';

/**
 * Who approves in review. A person's manual moves go one stage at a time; an approval follows the
 * pipeline (which may skip stages), as the agents' verdicts do, so it has its own name in history.
 */
export const REVIEW_ACTOR = 'Review';
const LISTED = 3;

export interface ChangesRequested {
  ticketId: string;
  from: Status;
  /** The open review bugs the ticket went back with. */
  bugs: Bug[];
}

export interface Approved {
  ticketId: string;
  from: Status;
  to: Status;
}

/** The open bugs the review filed on the ticket. */
export function openReviewBugs(tx: Pick<BoardTx, 'listBugs'>, ticketId: string): Bug[] {
  return tx.listBugs(ticketId).filter((b) => !b.fixed && isReviewBug(b));
}

/** Sends a ticket under review back to IN_DEV with its review bugs; `summary` becomes one more. */
export function requestChanges(tx: BoardTx, ticketId: string, summary?: string): ChangesRequested {
  const ticket = underReview(tx, ticketId, 'Request Changes');
  const text = summary?.trim() ?? '';
  if (text !== '') {
    const { message } = messageAgent(tx, { ticketId: ticket.id, body: `Changes requested: ${text}` });
    fileReviewBug(tx, ticket.id, text, 'user', { messageId: message.id });
  }
  const bugs = openReviewBugs(tx, ticket.id);
  if (bugs.length === 0) {
    throw new FactoryError('invalid-input', `${ticket.id} has no review comments: comment on lines of its diff (Review Changes), or say what to change`);
  }
  const titles = bugs.slice(0, LISTED).map((b) => b.title).join('; ') + (bugs.length > LISTED ? `; and ${bugs.length - LISTED} more` : '');
  tx.transition(ticket.id, ticket.status, 'IN_DEV', 'user', `Changes requested in review (${bugs.length} comment${bugs.length === 1 ? '' : 's'}): ${titles}`);
  return { ticketId: ticket.id, from: ticket.status, bugs };
}

/** Moves a ticket under review to the next stage of `pipeline` (DONE after the last). */
export function approveTicket(tx: BoardTx, ticketId: string, pipeline: readonly Status[]): Approved {
  const ticket = underReview(tx, ticketId, 'Approve');
  const to = nextStageIn(pipeline, ticket.status);
  if (to === undefined) throw new FactoryError('illegal-transition', `${ticket.id} has no next stage after ${ticket.status}`);
  tx.transition(ticket.id, ticket.status, to, REVIEW_ACTOR, `${ticket.status} approved by the user in review`);
  return { ticketId: ticket.id, from: ticket.status, to };
}

function underReview(tx: BoardTx, ticketId: string, what: string): Ticket {
  const ticket = tx.getTicket(ticketId);
  if (!ticket) throw new FactoryError('not-found', `there is no ticket ${ticketId}`);
  if (!isReviewStage(ticket.status)) {
    throw new FactoryError('illegal-transition', `${what} is for a ticket under review (IN_QA, IN_UX, IN_SEC or PM_REVIEW); ${ticket.id} is ${ticket.status}`);
  }
  return ticket;
}
