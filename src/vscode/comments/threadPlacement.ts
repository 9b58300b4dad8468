/**
 * Where a conversation's comment thread goes. Pure (node:path only), so tested in plain node.
 *
 * A conversation about a line of code (a security finding: `file` + `line`) goes on that file in
 * the ticket's worktree; every other conversation goes on the ticket page, on its own line of the
 * Conversations section (see conversationLines). The file comes from the store, which agents
 * write, so a path that leaves the worktree is not followed: that thread falls back to the page.
 */
import * as path from 'node:path';
import type { Conversation } from '../../domain/conversation';
import type { Ticket } from '../../domain/ticket';

export type ThreadPlacement =
  | { kind: 'document'; ticketId: string; line: number }
  | { kind: 'file'; fsPath: string; line: number };

/** `pageLine`: the conversation's line on the ticket page. */
export function placeConversation(conversation: Conversation, ticket: Ticket | undefined, pageLine: number): ThreadPlacement {
  const fsPath = conversation.file ? fileInWorktree(ticket?.worktree?.path, conversation.file) : undefined;
  if (fsPath === undefined) return { kind: 'document', ticketId: conversation.ticketId, line: pageLine };
  const line = conversation.line !== undefined && Number.isInteger(conversation.line) && conversation.line > 0 ? conversation.line - 1 : 0;
  return { kind: 'file', fsPath, line };
}

/** The absolute path of `file` inside `worktree`, or undefined when it would leave it. */
export function fileInWorktree(worktree: string | undefined, file: string): string | undefined {
  if (!worktree || !path.isAbsolute(worktree) || file.length === 0 || file.includes('\0') || path.isAbsolute(file)) return undefined;
  const root = path.resolve(worktree);
  const resolved = path.resolve(root, file);
  const relative = path.relative(root, resolved);
  if (relative.length === 0 || relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)) return undefined;
  return resolved;
}

/** Two placements are the same spot. */
export function placementKey(p: ThreadPlacement): string {
  return p.kind === 'document' ? `doc:${p.ticketId}:${p.line}` : `file:${p.fsPath}:${p.line}`;
}
