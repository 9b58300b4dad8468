/**
 * The Security gate: a ticket with open critical or high Security bugs does not move on from
 * IN_SEC. The store's transition table knows nothing of bugs, so every path that moves tickets
 * (runner advance, drag and drop, "Move to...", the CLI) asks this first.
 */
import { PIPELINE, type Status } from '../../domain/status';
import { isBlockingBug, type Bug } from '../../domain/ticket';
import type { BoardReader } from '../../store/api';
import { SECURITY_AUTHOR } from './model';

const LISTED = 3;

/** Open critical/high bugs the Security agent filed on the ticket, most severe first. */
export function openSecurityBlockers(board: Pick<BoardReader, 'listBugs'>, ticketId: string): Bug[] {
  return board
    .listBugs(ticketId)
    .filter((b) => b.foundBy === SECURITY_AUTHOR && isBlockingBug(b))
    .sort((a, b) => (a.severity === b.severity ? a.createdAt - b.createdAt : a.severity === 'critical' ? -1 : 1));
}

/**
 * Why `ticketId` may not move `from` -> `to`, or undefined when the gate has no objection. Only a
 * forward move out of IN_SEC is gated; going back to IN_DEV to fix the finding, or to BLOCKED, is not.
 */
export function securityGateRefusal(board: Pick<BoardReader, 'listBugs'>, ticketId: string, from: Status, to: Status): string | undefined {
  if (from !== 'IN_SEC' || !isForward(from, to)) return undefined;
  const blockers = openSecurityBlockers(board, ticketId);
  if (blockers.length === 0) return undefined;
  const listed = blockers.slice(0, LISTED).map((b) => `${b.severity} ${b.title}${b.line !== undefined ? ` (line ${b.line})` : ''}`);
  const more = blockers.length > LISTED ? ` and ${blockers.length - LISTED} more` : '';
  const count = blockers.length === 1 ? 'an open critical/high security finding' : `${blockers.length} open critical/high security findings`;
  return `${ticketId} cannot leave IN_SEC with ${count}: ${listed.join('; ')}${more}. Remove them from the code (the next Security scan marks them fixed) or mark the bugs fixed.`;
}

function isForward(from: Status, to: Status): boolean {
  const order = PIPELINE as readonly Status[];
  const i = order.indexOf(from);
  const j = order.indexOf(to);
  return i >= 0 && j > i;
}
