/**
 * Reviewing a ticket's change in the editor: Review Changes opens VS Code's multi-file diff editor
 * (the ticket's branch and uncommitted work against the merge-base with its base), each line of
 * its right side takes a comment for the agent (a bug with file and line), the ticket document's
 * Changes section opens each file's diff, and Request Changes / Approve give the verdict.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { errorMessage, FactoryError } from '../../domain/errors';
import { isReviewStage } from '../../domain/pipeline';
import type { Ticket } from '../../domain/ticket';
import type { FileChange } from '../../git/changeSummary';
import { approveTicket, openReviewBugs, requestChanges, type Approved, type ChangesRequested } from '../../review/reviewVerdicts';
import { readTicketChanges, recordTicketChanges, type TicketChanges } from '../../review/ticketChanges';
import type { Settings } from '../../settings/settings';
import type { Board } from '../../store/api';
import type { BoardSession } from '../boardSession';
import { BASE_SCHEME, Commands } from '../constants';
import type { PrompterHolder } from '../ui/prompter';
import { requireTrust } from '../trust/restrictedMode';
import { Disposable } from '../util/disposable';
import { reportedCommand } from '../util/reportedCommand';
import { ticketArgument } from '../util/ticketArgument';
import { BaseContentProvider, baseUri } from './baseContent';
import { ReviewCommentController } from './reviewCommentController';

export interface ReviewFeatureDeps {
  session: BoardSession;
  config: Settings;
  prompter: PrompterHolder;
  log: vscode.LogOutputChannel;
}

/** What Review Changes opened: the ticket and the worktree-relative files of its diff editor. */
export interface OpenedReview {
  ticketId: string;
  files: string[];
}

/** What the in-host tests reach through the extension's test API. */
export interface ReviewTesting {
  readonly comments: ReviewCommentController;
}

export class ReviewFeatures extends Disposable {
  readonly testing: ReviewTesting;

  constructor(private readonly deps: ReviewFeatureDeps) {
    super();
    const board = (): Board | undefined => deps.session.board;
    const comments = this._register(new ReviewCommentController(board));
    this._register(vscode.workspace.registerTextDocumentContentProvider(BASE_SCHEME, new BaseContentProvider(board, deps.log)));
    const guarded = <A extends unknown[], R>(name: string, fn: (...args: A) => Promise<R>) => reportedCommand(name, deps, fn);
    this._register(
      vscode.Disposable.from(
        vscode.commands.registerCommand(Commands.ReviewChanges, guarded('Review Changes', (arg: unknown) => this.reviewChanges(arg, comments))),
        vscode.commands.registerCommand(Commands.OpenChange, guarded('Open Change', (ticketId: unknown, file: unknown) => this.openChange(ticketId, file))),
        vscode.commands.registerCommand(Commands.AddReviewComment, guarded('Your comment was not saved', (reply: vscode.CommentReply) => comments.addComment(reply))),
        vscode.commands.registerCommand(Commands.RequestChanges, guarded('Request Changes', (arg: unknown) => this.requestChanges(arg))),
        vscode.commands.registerCommand(Commands.ApproveTicket, guarded('Approve', (arg: unknown) => this.approve(arg))),
      ),
    );
    this.testing = { comments };
  }

  private requireBoard(): Board {
    const board = this.deps.session.board;
    if (!board) throw new FactoryError('not-found', 'no board is open in this window');
    return board;
  }

  private async reviewChanges(arg: unknown, comments: ReviewCommentController): Promise<OpenedReview | undefined> {
    requireTrust('Review Changes');
    const board = this.requireBoard();
    const ticket = await ticketArgument(board, this.deps.prompter.current, arg, {
      placeHolder: 'Review the changes of which ticket?',
      eligible: (t) => t.worktree !== undefined && t.status !== 'DONE',
      none: 'no ticket has a worktree to review yet.',
    });
    if (!ticket) return undefined;
    const changes = await readTicketChanges(board, ticket.id);
    comments.track(changes);
    await recordTicketChanges(board, changes).catch((err: unknown) => this.deps.log.warn(`Review: recording the changes of ${ticket.id} failed: ${errorMessage(err)}`));
    if (changes.files.length === 0) {
      void this.deps.prompter.current.info(`${ticket.id} changes nothing against ${changes.base} yet.`);
      return { ticketId: ticket.id, files: [] };
    }
    const resources = changes.files.map((f) => diffSides(changes, f));
    await vscode.commands.executeCommand('vscode.changes', `${ticket.id}: changes against ${changes.base}`, resources);
    return { ticketId: ticket.id, files: changes.files.map((f) => f.path) };
  }

  /** One file's diff, from the ticket document's Changes section. */
  private async openChange(ticketIdArg: unknown, fileArg: unknown): Promise<void> {
    requireTrust('Open Change');
    const board = this.requireBoard();
    if (typeof ticketIdArg !== 'string' || typeof fileArg !== 'string') throw new FactoryError('invalid-input', 'Open Change needs a ticket and a file');
    const changes = await readTicketChanges(board, ticketIdArg);
    const file = changes.files.find((f) => f.path === fileArg);
    if (!file) throw new FactoryError('not-found', `${changes.ticket.id} no longer changes ${fileArg}`);
    const [, left, right] = diffSides(changes, file);
    await vscode.commands.executeCommand('vscode.diff', left, right, `${file.path} (${changes.ticket.id} against ${changes.base})`);
  }

  private async requestChanges(arg: unknown): Promise<ChangesRequested | undefined> {
    requireTrust('Request Changes');
    const board = this.requireBoard();
    const ticket = await this.underReview(board, arg, 'Request changes on which ticket?');
    if (!ticket) return undefined;
    const comments = openReviewBugs(board, ticket.id).length;
    const summary = await this.deps.prompter.current.inputBox({
      title: `Request Changes on ${ticket.id}`,
      prompt:
        comments > 0
          ? `${ticket.id} goes back to development with your ${comments} review comment${comments === 1 ? '' : 's'}. Anything to add? (optional)`
          : `What should change? ${ticket.id} goes back to development with it as a bug its agent reads.`,
      ignoreFocusOut: true,
      validateInput: (value) => (comments === 0 && value.trim() === '' ? 'Say what should change, or comment on lines of its diff first (Review Changes).' : undefined),
    });
    if (summary === undefined) return undefined;
    const done = await board.write((tx) => requestChanges(tx, ticket.id, summary));
    void this.deps.prompter.current.info(`${ticket.id} went back to development with ${done.bugs.length} review bug${done.bugs.length === 1 ? '' : 's'}.`);
    return done;
  }

  private async approve(arg: unknown): Promise<Approved | undefined> {
    requireTrust('Approve');
    const board = this.requireBoard();
    const ticket = await this.underReview(board, arg, 'Approve which ticket?');
    if (!ticket) return undefined;
    if (ticket.status === 'PM_REVIEW') {
      const answer = await this.deps.prompter.current.warning(
        `Approve ${ticket.id} and mark it DONE without landing its branch?`,
        { modal: true, detail: 'Land Ticket brings the branch onto its base, runs the check and then marks it DONE.' },
        'Approve',
      );
      if (answer !== 'Approve') return undefined;
    }
    const approved = await board.write((tx) => approveTicket(tx, ticket.id, this.deps.config.pipeline()));
    void this.deps.prompter.current.info(`${ticket.id} approved: it moved to ${approved.to}.`);
    return approved;
  }

  private underReview(board: Board, arg: unknown, placeHolder: string): Promise<Ticket | undefined> {
    return ticketArgument(board, this.deps.prompter.current, arg, {
      placeHolder,
      eligible: (t) => isReviewStage(t.status),
      none: 'no ticket is under review (IN_QA, IN_UX, IN_SEC or PM_REVIEW).',
    });
  }
}

/**
 * [label, before, after] for VS Code's changes editor: after is the live file of the worktree. An
 * added file's before, and a deleted file's after, is an empty document, so every file of the
 * change has both sides (the editor and its tab list only diffs that do).
 */
function diffSides(changes: TicketChanges, f: FileChange): [vscode.Uri, vscode.Uri, vscode.Uri] {
  const file = vscode.Uri.file(path.join(changes.worktree, f.path));
  const added = f.kind === 'added' || f.kind === 'untracked';
  const before = added ? baseUri(f.path) : baseUri(f.oldPath ?? f.path, changes.mergeBase);
  return [file, before, f.kind === 'deleted' ? baseUri(f.path) : file];
}

export function registerReviewFeatures(deps: ReviewFeatureDeps): ReviewFeatures {
  return new ReviewFeatures(deps);
}
