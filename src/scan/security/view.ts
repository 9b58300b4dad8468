/**
 * What the editor shows of the Security agent's work, computed from the board alone so it is the
 * same in every window and testable in plain node: one problem per live finding whose bug is
 * open, on the absolute path of the file in the ticket's worktree.
 */
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { isOpenBug, type Severity } from '../../domain/ticket';
import type { BoardReader } from '../../store/api';
import { FINGERPRINT_PREFIX, SECURITY_SCANNER, type SecurityFindingData } from './model';

export interface SecurityProblem {
  ticketId: string;
  bugId: string;
  fingerprint: string;
  /** Absolute path inside the ticket's worktree. */
  fsPath: string;
  /** 1-based. */
  line: number;
  /** 0-based. */
  column: number;
  severity: Severity;
  rule: string;
  title: string;
  /** The masked secret or redacted snippet. */
  shown: string;
  message: string;
}

export function securityProblems(board: Pick<BoardReader, 'listFindings' | 'getTicket' | 'listBugs'>): SecurityProblem[] {
  const problems: SecurityProblem[] = [];
  const openBugs = new Map<string, Map<string, string>>();
  for (const f of board.listFindings({ scanner: SECURITY_SCANNER })) {
    if (f.goneAt !== undefined || f.ticketId === undefined) continue;
    const ticket = board.getTicket(f.ticketId);
    const fsPath = ticket?.worktree ? insideWorktree(ticket.worktree.path, f.file) : undefined;
    if (!fsPath) continue;
    let bugs = openBugs.get(f.ticketId);
    if (!bugs) {
      bugs = new Map(board.listBugs(f.ticketId).filter((b) => isOpenBug(b) && b.fingerprint?.startsWith(FINGERPRINT_PREFIX)).map((b) => [b.fingerprint!, b.id]));
      openBugs.set(f.ticketId, bugs);
    }
    const bugId = bugs.get(f.fingerprint);
    // A bug marked fixed or dismissed by hand is a decision about the finding: no squiggle for it.
    if (!bugId) continue;
    const data = (f.data ?? {}) as Partial<SecurityFindingData>;
    problems.push({
      ticketId: f.ticketId,
      bugId,
      fingerprint: f.fingerprint,
      fsPath,
      line: f.line,
      column: typeof data.column === 'number' ? data.column : 0,
      severity: data.severity ?? 'high',
      rule: f.kind,
      title: data.title ?? f.kind,
      shown: f.text,
      message: data.message ?? '',
    });
  }
  return problems.sort((a, b) => (a.fsPath < b.fsPath ? -1 : a.fsPath > b.fsPath ? 1 : a.line - b.line));
}

/** The absolute path of a stored, worktree-relative file, or undefined when it would leave the worktree. */
export function insideWorktree(worktree: string, file: string): string | undefined {
  if (!isAbsolute(worktree) || file.length === 0 || file.includes('\0') || isAbsolute(file)) return undefined;
  const root = resolve(worktree);
  const abs = resolve(root, file);
  const rel = relative(root, abs);
  if (rel.length === 0 || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return undefined;
  return abs;
}

/** The text of a problem's diagnostic in the Problems panel. */
export function problemText(p: SecurityProblem): string {
  return p.message ? `${p.title}: ${p.shown}. ${p.message} (${p.ticketId})` : `${p.title}: ${p.shown} (${p.ticketId})`;
}
