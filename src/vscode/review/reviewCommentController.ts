import * as path from 'node:path';
import * as vscode from 'vscode';
import { FactoryError } from '../../domain/errors';
import { pathKey } from '../../git/paths';
import { fileReviewComment, type FiledComment } from '../../review/reviewComments';
import type { TicketChanges } from '../../review/ticketChanges';
import type { Board } from '../../store/api';
import { Disposable } from '../util/disposable';

export const REVIEW_COMMENT_CONTROLLER_ID = 'agentFactory.review';

interface Reviewed {
  ticketId: string;
  worktree: string;
  /** pathKey of each changed file's absolute path -> its worktree-relative path. */
  files: Map<string, string>;
}

/**
 * Comments on the right side of Review Changes' diffs: every line of a file the reviewed ticket
 * changes can take a comment, which becomes a bug with that file and line and a message to the
 * ticket's agent. The thread that carries it afterwards is the conversation's own (shown by the
 * ticket comment controller), so replies go where every other reply goes.
 */
export class ReviewCommentController extends Disposable {
  readonly controller: vscode.CommentController;
  private readonly reviewed = new Map<string, Reviewed>();

  constructor(private readonly board: () => Board | undefined) {
    super();
    this.controller = this._register(vscode.comments.createCommentController(REVIEW_COMMENT_CONTROLLER_ID, 'Agent Factory review'));
    this.controller.options = {
      prompt: 'Comment for the agent',
      placeHolder: 'What should change here? It becomes a bug on the ticket, and the agent reads it in its inbox.',
    };
    this.controller.commentingRangeProvider = {
      provideCommentingRanges: (document) => this.commentingRanges(document),
    };
  }

  /** The files of a review just opened take comments from now on. */
  track(changes: TicketChanges): void {
    const files = new Map<string, string>();
    for (const f of changes.files) if (f.kind !== 'deleted') files.set(pathKey(path.join(changes.worktree, f.path)), f.path);
    this.reviewed.set(changes.ticket.id, { ticketId: changes.ticket.id, worktree: changes.worktree, files });
  }

  /** The reviewed ticket and worktree-relative file a document belongs to. */
  target(uri: vscode.Uri): { ticketId: string; file: string } | undefined {
    if (uri.scheme !== 'file') return undefined;
    const key = pathKey(uri.fsPath);
    for (const r of this.reviewed.values()) {
      const file = r.files.get(key);
      if (file !== undefined) return { ticketId: r.ticketId, file };
    }
    return undefined;
  }

  commentingRanges(document: vscode.TextDocument): vscode.Range[] {
    if (!this.board() || !vscode.workspace.isTrusted || !this.target(document.uri)) return [];
    return [new vscode.Range(0, 0, Math.max(0, document.lineCount - 1), 0)];
  }

  /** Saves the comment typed in a new thread; the draft thread makes way for the conversation's. */
  async addComment(reply: vscode.CommentReply): Promise<FiledComment> {
    const board = this.board();
    if (!board) throw new FactoryError('not-found', 'No board is open in this window.');
    const target = this.target(reply.thread.uri);
    if (!target) {
      reply.thread.dispose();
      throw new FactoryError('invalid-input', 'Review comments go on the files of a ticket opened with Review Changes.');
    }
    const line = (reply.thread.range?.start.line ?? 0) + 1;
    const filed = await board.write((tx) => fileReviewComment(tx, { ticketId: target.ticketId, file: target.file, line, body: reply.text }));
    reply.thread.dispose();
    return filed;
  }

  override dispose(): void {
    this.reviewed.clear();
    super.dispose();
  }
}
