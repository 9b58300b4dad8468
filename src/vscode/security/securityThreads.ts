import * as vscode from 'vscode';
import type { BoardReader } from '../../store/api';
import { insideWorktree } from '../../scan/security/view';

/** A Security comment thread as the comment controller renders it. */
export interface SecurityThread {
  conversationId: string;
  ticketId: string;
  uri: vscode.Uri;
  /** 0-based editor line (the store keeps 1-based lines). */
  line: number;
  range: vscode.Range;
  title: string;
  /** The thread's messages, oldest first; every secret in them is already masked. */
  bodyMasked: string[];
  resolved: boolean;
}

/**
 * The Security agent's threads, each on its file and line in the ticket's worktree. The comment
 * controller places conversations with a file and line itself; this is the same view for callers
 * that want only Security's (tests, a findings list).
 */
export function securityThreads(board: Pick<BoardReader, 'listConversations' | 'getTicket' | 'listMessages'>): SecurityThread[] {
  const threads: SecurityThread[] = [];
  for (const c of board.listConversations({ type: 'security' })) {
    const worktree = board.getTicket(c.ticketId)?.worktree?.path;
    const fsPath = worktree && c.file ? insideWorktree(worktree, c.file) : undefined;
    if (!fsPath) continue;
    const line = Math.max(0, (c.line ?? 1) - 1);
    threads.push({
      conversationId: c.id,
      ticketId: c.ticketId,
      uri: vscode.Uri.file(fsPath),
      line,
      range: new vscode.Range(line, 0, line, 0),
      title: c.title,
      bodyMasked: board.listMessages(c.id).map((m) => m.body),
      resolved: c.status === 'resolved',
    });
  }
  return threads;
}
