/** Where a gathered ticket's item is in the code now: its finding's file and line, kept current every cycle without touching the ticket. */
import type { BoardReader } from '../../store/api';
import { SCANNER } from './reconcile';

export function gatheredLocation(board: Pick<BoardReader, 'listFindings'>, ticketId: string): { file: string; line: number } | undefined {
  const finding = board.listFindings({ scanner: SCANNER, ticketId })[0];
  return finding ? { file: finding.file, line: finding.line } : undefined;
}
