/**
 * The Security gate as the scanner and the editor read it. The rule itself is in the domain
 * (src/domain/gates.ts) and the store enforces it in every transition.
 */
import { openSecurityBlockers as blockersOf, securityGateRefusal as refusal } from '../../domain/gates';
import type { Status } from '../../domain/status';
import type { Bug } from '../../domain/ticket';
import type { BoardReader } from '../../store/api';

/** Open critical/high bugs the Security agent filed on the ticket, most severe first. */
export function openSecurityBlockers(board: Pick<BoardReader, 'listBugs'>, ticketId: string): Bug[] {
  return blockersOf(board.listBugs(ticketId));
}

/** Why open findings keep `ticketId` from moving `from` -> `to`, or undefined when they do not. */
export function securityGateRefusal(board: Pick<BoardReader, 'listBugs'>, ticketId: string, from: Status, to: Status): string | undefined {
  return refusal(ticketId, from, to, board.listBugs(ticketId));
}
