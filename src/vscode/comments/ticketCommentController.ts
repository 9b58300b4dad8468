import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Logger } from '../../agents/agent';
import type { Conversation } from '../../domain/conversation';
import { FactoryError } from '../../domain/errors';
import { findingBugOf, isOpenFinding } from '../../loop/dismissFinding';
import { messageAgent } from '../../loop/inbox';
import type { Board } from '../../store/api';
import { conversationLines, CONVERSATIONS_LINE } from '../document/renderTicket';
import { ticketDocumentUri, ticketIdOfDocument } from '../document/ticketUri';
import { oneLine } from '../document/untrustedText';
import { SlicedJob } from '../tickets/slicedJob';
import { Disposable } from '../util/disposable';
import { MessageComment } from './messageComment';
import { placeConversation, placementKey, type ThreadPlacement } from './threadPlacement';

export const COMMENT_CONTROLLER_ID = 'agentFactory';

interface ThreadEntry {
  readonly conversationId: string;
  readonly ticketId: string;
  readonly thread: vscode.CommentThread;
  placement: ThreadPlacement;
  /** Message ids in order: comments are rebuilt only when this changes. */
  messagesKey: string;
  status: Conversation['status'];
  /** A Security finding that can still be dismissed. */
  finding: boolean;
  label: string;
}

/**
 * The board's conversations as comment threads: on its own line of the ticket page's
 * Conversations section, or on the file and line of the ticket's worktree that a security
 * finding names. Every conversation still open (or escalated) has its thread, so the Comments
 * panel lists what waits on someone; a resolved one gets its thread when its ticket's page is
 * open, and a thread once shown stays. A board of thousands of tickets holds thousands of
 * resolved check-in threads, and making them all at once held the extension host for 100 ms and
 * more each time a board opened.
 *
 * Threads are built from the store when a board opens and patched in place on each store change:
 * a thread is created once per conversation id, and its `comments` get a new array only when the
 * message ids changed, so agents posting never duplicate or flicker a thread.
 */
export class TicketCommentController extends Disposable {
  readonly controller: vscode.CommentController;
  private board: Board | undefined;
  private boardSubscription: vscode.Disposable | undefined;
  private readonly entries = new Map<string, ThreadEntry>();
  /** The running sync of every ticket, if one is. */
  private fullSync: SlicedJob | undefined;
  /** Tickets whose page was opened in this window: all their conversations have threads. */
  private readonly pages = new Set<string>();

  constructor(private readonly log: Logger) {
    super();
    for (const document of vscode.workspace.textDocuments) this.notePage(document.uri);
    this._register(vscode.workspace.onDidOpenTextDocument((document) => this.notePage(document.uri)));
    this.controller = this._register(vscode.comments.createCommentController(COMMENT_CONTROLLER_ID, 'Agent Factory'));
    this.controller.options = {
      prompt: 'Reply to the agents',
      placeHolder: 'Your reply is stored on the ticket, where the agents read it.',
    };
    this.controller.commentingRangeProvider = {
      provideCommentingRanges: (document) => this.commentingRanges(document.uri),
    };
  }

  setBoard(board: Board | undefined): void {
    this.boardSubscription?.dispose();
    this.boardSubscription = undefined;
    this.disposeAllThreads();
    this.board = board;
    if (!board) return;
    this.boardSubscription = board.onDidChange((change) => {
      if (!change.noTickets) this.sync(change.ticketIds);
    });
    this.sync([]);
  }

  /** The thread of one conversation, if it is shown. */
  thread(conversationId: string): vscode.CommentThread | undefined {
    return this.entries.get(conversationId)?.thread;
  }

  /** The threads of a ticket, in the order their conversations started. */
  threadsOf(ticketId: string): vscode.CommentThread[] {
    return [...this.entries.values()].filter((e) => e.ticketId === ticketId).map((e) => e.thread);
  }

  conversationOf(thread: vscode.CommentThread): string | undefined {
    for (const entry of this.entries.values()) if (entry.thread === thread) return entry.conversationId;
    return undefined;
  }

  /** A ticket page opened: its resolved conversations get their threads too. */
  private notePage(uri: vscode.Uri): void {
    const ticketId = ticketIdOfDocument(uri);
    if (ticketId === undefined || this.pages.has(ticketId)) return;
    this.pages.add(ticketId);
    this.sync([ticketId]);
  }

  /** Whether a conversation has a thread: still open, on an opened page, or shown already. */
  private shows(conversation: Conversation): boolean {
    return conversation.status !== 'resolved' || this.pages.has(conversation.ticketId) || this.entries.has(conversation.id);
  }

  /**
   * Brings threads in line with the store for the given tickets, at once; with none given, every
   * ticket, in slices of a few ms from the next turn on (a board may hold thousands of
   * conversations, and a new board's other listeners run in this turn) that a later full sync
   * replaces. Idempotent: unchanged threads are not touched.
   */
  sync(ticketIds: readonly string[]): void {
    const board = this.board;
    if (!board || this.isDisposed) return;
    if (ticketIds.length > 0) {
      for (const step of this.syncSteps(board, new Set(ticketIds))) void step;
      return;
    }
    this.fullSync?.cancel();
    const job = new SlicedJob(this.syncSteps(board, undefined), (err) => this.log.error(`Could not show the board's conversations: ${String(err)}`));
    this.fullSync = job;
    job.startLater();
  }

  /** Settles when the threads of every ticket are made (the last full sync ended). */
  synced(): Promise<void> {
    return this.fullSync?.done ?? Promise.resolve();
  }

  /** The work of a sync, one conversation a step. */
  private *syncSteps(board: Board, scope: ReadonlySet<string> | undefined): Generator<void, void, undefined> {
    // Threads made meanwhile by syncs of single tickets are theirs to keep or remove.
    const before = scope ? undefined : new Set(this.entries.keys());
    // The conversations that have or get a thread: every one of the tickets concerned, or, for
    // the whole board, the open and escalated ones and every one of the tickets whose page was
    // opened or that have a thread (not the resolved check-ins of thousands of finished tickets).
    const tickets = scope ?? new Set([...this.pages, ...[...this.entries.values()].map((e) => e.ticketId)]);
    const byTicket = new Map<string, Conversation[]>();
    const ofTicket = (ticketId: string): Conversation[] => {
      let list = byTicket.get(ticketId);
      if (!list) byTicket.set(ticketId, (list = board.listConversations({ ticketId }).sort(byAge)));
      return list;
    };
    const listed = new Map<string, Conversation>();
    const lists: (() => Conversation[])[] = [...tickets].map((ticketId) => () => ofTicket(ticketId));
    if (!scope) lists.push(...(['open', 'escalated'] as const).map((status) => () => board.listConversations({ status })));
    for (const list of lists) {
      if (!scope) {
        yield;
        if (this.board !== board || this.isDisposed) return;
      }
      for (const c of list()) listed.set(c.id, c);
    }
    // The lines of a ticket's page come from all its conversations, read once per ticket.
    const pageLines = new Map<string, Map<string, number>>();
    const pageLine = (c: Conversation): number => {
      let lines = pageLines.get(c.ticketId);
      if (!lines) pageLines.set(c.ticketId, (lines = conversationLines(ofTicket(c.ticketId))));
      return lines.get(c.id) ?? CONVERSATIONS_LINE;
    };
    const seen = new Set<string>();
    for (const conversation of [...listed.values()].sort(byAge)) {
      if (!this.shows(conversation)) continue;
      yield;
      if (this.board !== board || this.isDisposed) return;
      const ticket = board.getTicket(conversation.ticketId);
      if (!ticket) continue;
      seen.add(conversation.id);
      try {
        this.upsert(board, conversation, placeConversation(conversation, ticket, pageLine(conversation)));
      } catch (err) {
        this.log.error(`Could not show the thread of conversation ${conversation.id} on ${conversation.ticketId}: ${String(err)}`);
      }
    }
    for (const [id, entry] of this.entries) {
      if (seen.has(id) || (scope ? !scope.has(entry.ticketId) : !before?.has(id))) continue;
      entry.thread.dispose();
      this.entries.delete(id);
    }
  }

  private upsert(board: Board, conversation: Conversation, placement: ThreadPlacement): void {
    const messages = board.listMessages(conversation.id);
    const messagesKey = messages.map((m) => m.id).join(',');
    const label = oneLine(conversation.title) || conversation.type;
    const finding = isOpenFinding(findingBugOf(board, conversation));
    let entry = this.entries.get(conversation.id);
    if (entry && placementKey(entry.placement) !== placementKey(placement)) {
      if (entry.placement.kind === placement.kind && placementUri(entry.placement).toString() === placementUri(placement).toString()) {
        entry.thread.range = lineRange(placement.line);
        entry.placement = placement;
      } else {
        entry.thread.dispose();
        this.entries.delete(conversation.id);
        entry = undefined;
      }
    }
    if (!entry) {
      const thread = this.controller.createCommentThread(placementUri(placement), lineRange(placement.line), messages.map((m) => new MessageComment(m)));
      thread.canReply = vscode.workspace.isTrusted;
      thread.label = label;
      applyStatus(thread, conversation.status, finding);
      thread.collapsibleState = conversation.status === 'resolved' ? vscode.CommentThreadCollapsibleState.Collapsed : vscode.CommentThreadCollapsibleState.Expanded;
      this.entries.set(conversation.id, { conversationId: conversation.id, ticketId: conversation.ticketId, thread, placement, messagesKey, status: conversation.status, finding, label });
      return;
    }
    if (entry.messagesKey !== messagesKey) {
      entry.thread.comments = messages.map((m) => new MessageComment(m));
      entry.messagesKey = messagesKey;
    }
    if (entry.status !== conversation.status || entry.finding !== finding) {
      applyStatus(entry.thread, conversation.status, finding);
      entry.status = conversation.status;
      entry.finding = finding;
    }
    if (entry.label !== label) {
      entry.thread.label = label;
      entry.label = label;
    }
  }

  /**
   * Stores the user's reply, addressed to the ticket's agent (a reply to an agent's `block` makes
   * the ticket ready again); on a thread the user started, first opens a conversation for it.
   */
  async reply(reply: vscode.CommentReply): Promise<string> {
    const board = this.requireBoard();
    const body = reply.text.trim();
    if (body.length === 0) throw new FactoryError('invalid-input', 'An empty reply was not sent.');
    const conversationId = this.conversationOf(reply.thread);
    if (conversationId !== undefined) {
      const conversation = board.getConversation(conversationId);
      if (!conversation) throw new FactoryError('not-found', 'This conversation no longer exists on the board.');
      const sent = await board.write((tx) => messageAgent(tx, { ticketId: conversation.ticketId, conversationId, body }));
      if (sent.answered) this.log.info(`${conversation.ticketId} is READY again: the reply answered its agent's question`);
      this.sync([conversation.ticketId]);
      return conversationId;
    }
    const target = this.newThreadTarget(board, reply.thread);
    if (!target) {
      reply.thread.dispose();
      throw new FactoryError('invalid-input', 'Comments can be started only on a ticket document or on a file of a ticket worktree.');
    }
    const created = await board.write((tx) => {
      const conversation = tx.createConversation({ ticketId: target.ticketId, type: 'user_question', title: `Question from you on ${target.ticketId}`, ...target.at });
      messageAgent(tx, { ticketId: target.ticketId, conversationId: conversation.id, body });
      return conversation;
    });
    // The thread VS Code made for the draft is replaced by the conversation's own thread.
    reply.thread.dispose();
    this.sync([target.ticketId]);
    return created.id;
  }

  /** Resolves or reopens a conversation and the check-in it belongs to. */
  async setResolved(conversationId: string, resolved: boolean): Promise<void> {
    const board = this.requireBoard();
    const ticketId = await board.write((tx) => {
      const conversation = tx.getConversation(conversationId);
      if (!conversation) throw new FactoryError('not-found', 'This conversation no longer exists on the board.');
      tx.setConversationStatus(conversationId, resolved ? 'resolved' : 'open');
      const linked = tx.listCheckIns(conversation.ticketId).filter((c) => c.conversationId === conversationId);
      if (resolved) {
        for (const checkIn of linked) if (!checkIn.resolved) tx.setCheckInResolved(checkIn.id, true);
      } else {
        const latest = linked.sort((a, b) => b.createdAt - a.createdAt)[0];
        if (latest?.resolved) tx.setCheckInResolved(latest.id, false);
      }
      return conversation.ticketId;
    });
    this.sync([ticketId]);
  }

  /** Expands the ticket's threads on its document (Show Check-ins). */
  expandThreads(ticketId: string): number {
    if (!this.pages.has(ticketId)) {
      this.pages.add(ticketId);
      this.sync([ticketId]);
    }
    let count = 0;
    for (const entry of this.entries.values()) {
      if (entry.ticketId !== ticketId || entry.placement.kind !== 'document') continue;
      entry.thread.collapsibleState = vscode.CommentThreadCollapsibleState.Expanded;
      count++;
    }
    return count;
  }

  private commentingRanges(uri: vscode.Uri): vscode.Range[] {
    // Restricted Mode shows conversations but takes no replies (the board is read-only there).
    if (!this.board || !vscode.workspace.isTrusted) return [];
    const key = uri.toString();
    const threadLines = [...this.entries.values()].filter((e) => placementUri(e.placement).toString() === key).map((e) => lineRange(e.placement.line));
    // On the page: the Conversations heading starts a new conversation; each thread's line takes replies.
    if (ticketIdOfDocument(uri) !== undefined) return [lineRange(CONVERSATIONS_LINE), ...threadLines];
    if (uri.scheme !== 'file') return [];
    // On a file, only lines that already carry a thread: the reply box shows there, and the
    // editor gutter is not filled with "+" on every line of every file.
    return threadLines;
  }

  private newThreadTarget(board: Board, thread: vscode.CommentThread): { ticketId: string; at: { file?: string; line?: number } } | undefined {
    const documentTicket = ticketIdOfDocument(thread.uri);
    if (documentTicket !== undefined) return board.getTicket(documentTicket) ? { ticketId: documentTicket, at: {} } : undefined;
    if (thread.uri.scheme !== 'file') return undefined;
    for (const ticket of board.readTickets({ hasWorktree: true })) {
      if (!ticket.worktree) continue;
      const relative = path.relative(ticket.worktree.path, thread.uri.fsPath);
      if (relative.length === 0 || relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)) continue;
      return { ticketId: ticket.id, at: { file: relative.split(path.sep).join('/'), line: (thread.range?.start.line ?? 0) + 1 } };
    }
    return undefined;
  }

  private requireBoard(): Board {
    if (!this.board) throw new FactoryError('not-found', 'No board is open in this window.');
    return this.board;
  }

  private disposeAllThreads(): void {
    this.fullSync?.cancel();
    this.fullSync = undefined;
    for (const entry of this.entries.values()) entry.thread.dispose();
    this.entries.clear();
  }

  override dispose(): void {
    this.boardSubscription?.dispose();
    this.boardSubscription = undefined;
    this.disposeAllThreads();
    this.board = undefined;
    super.dispose();
  }
}

function applyStatus(thread: vscode.CommentThread, status: Conversation['status'], finding: boolean): void {
  const resolved = status === 'resolved';
  thread.state = resolved ? vscode.CommentThreadState.Resolved : vscode.CommentThreadState.Unresolved;
  // Matched by package.json's `commentThread =~ /open/` and `/resolved/` for Resolve and Reopen,
  // and `/finding/` for Dismiss Finding.
  thread.contextValue = `${resolved ? 'resolved' : 'open'}${finding ? '.finding' : ''}`;
}

function placementUri(p: ThreadPlacement): vscode.Uri {
  return p.kind === 'document' ? ticketDocumentUri(p.ticketId) : vscode.Uri.file(p.fsPath);
}

function lineRange(line: number): vscode.Range {
  return new vscode.Range(line, 0, line, 0);
}

/** Oldest first, as the page lists them. */
function byAge(a: Conversation, b: Conversation): number {
  return a.createdAt - b.createdAt || a.id.localeCompare(b.id);
}
