import * as vscode from 'vscode';
import { gatheredLocation } from '../../scan/gatherer/location';
import { insideWorktree } from '../../scan/security/view';
import type { Board } from '../../store/api';
import type { AttentionModel } from '../attention/attentionModel';
import { Disposable } from '../util/disposable';
import type { ChangedFilesCache } from './changedFiles';
import { renderTicketPage, renderUnavailable, type TicketDocumentData, type TicketPage } from './renderTicket';
import { ticketDocumentUri, ticketIdOfDocument } from './ticketUri';

/** Renders kept per ticket (see `pages`). */
const RECENT_PAGES = 4;

export interface TicketDocumentDeps {
  attention: AttentionModel;
  changedFiles: ChangedFilesCache;
  /** How a time reads on the page (the user's locale). */
  time: (ms: number) => string;
}

/**
 * Serves `agent-factory:/T-12`, the ticket page. Content providers' documents are read-only in
 * VS Code; the provider re-renders an open page whenever the store says its ticket changed (here
 * or in another process), when what needs a person changes, and when its changed files were
 * read. The last page rendered per ticket is kept: its CodeLens and links are placed from it.
 */
export class TicketDocumentProvider extends Disposable implements vscode.TextDocumentContentProvider {
  private readonly changed = this._register(new vscode.EventEmitter<vscode.Uri>());
  readonly onDidChange = this.changed.event;
  private readonly rendered = this._register(new vscode.EventEmitter<string>());
  /** A page was rendered anew (its ticket id). */
  readonly onDidRender = this.rendered.event;
  private board: Board | undefined;
  private boardSubscription: vscode.Disposable | undefined;
  /**
   * The last few pages rendered per ticket, newest first. A page shows what it says now (a run's
   * duration), so renders follow each other while the editor is still applying an earlier one:
   * the one that matches the document's text is the one its CodeLens and links belong to.
   */
  private readonly pages = new Map<string, TicketPage[]>();

  constructor(private readonly deps: TicketDocumentDeps) {
    super();
    this._register(deps.attention.onDidChange(() => this.refresh([])));
  }

  setBoard(board: Board | undefined): void {
    this.boardSubscription?.dispose();
    this.board = board;
    this.pages.clear();
    this.boardSubscription = board?.onDidChange((change) => {
      if (!change.noTickets) this.refresh(change.ticketIds);
    });
    this.refresh([]);
  }

  /** The page last rendered for a ticket, when it is what `document` shows. */
  pageOf(document: vscode.TextDocument): TicketPage | undefined {
    const id = ticketIdOfDocument(document.uri);
    if (id === undefined) return undefined;
    const text = document.getText();
    return this.pages.get(id)?.find((page) => page.text === text);
  }

  /**
   * Re-renders open ticket documents: those of `ticketIds` and of the tickets depending on them
   * (they show their dependencies' statuses), or all of them when empty.
   */
  refresh(ticketIds: readonly string[]): void {
    const wanted = new Set(ticketIds);
    const affected = (id: string): boolean => wanted.size === 0 || wanted.has(id) || (this.board?.getTicket(id)?.dependsOn.some((d) => wanted.has(d)) ?? false);
    for (const doc of vscode.workspace.textDocuments) {
      const id = ticketIdOfDocument(doc.uri);
      if (id !== undefined && affected(id)) this.changed.fire(ticketDocumentUri(id));
    }
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    const id = ticketIdOfDocument(uri);
    if (id === undefined) return renderUnavailable('Not a ticket', 'Ticket pages are named like agent-factory:/T-12.');
    if (!this.board) return renderUnavailable(id, 'No board is open in this window.');
    const data = this.pageData(this.board, id);
    if (!data) {
      this.pages.delete(id);
      return renderUnavailable(id, 'This ticket does not exist (any more) on this board.');
    }
    const page = renderTicketPage(data);
    this.pages.set(id, [page, ...(this.pages.get(id) ?? []).filter((p) => p.text !== page.text)].slice(0, RECENT_PAGES));
    this.rendered.fire(id);
    return page.text;
  }

  private pageData(board: Board, ticketId: string): TicketDocumentData | undefined {
    const ticket = board.getTicket(ticketId);
    if (!ticket) return undefined;
    const conversations = board.listConversations({ ticketId });
    const threadStats = new Map(
      conversations.map((c) => {
        const messages = board.listMessages(c.id);
        const latest = messages.at(-1);
        return [c.id, { count: messages.length, latestAt: latest?.createdAt, latestBy: latest?.author }] as const;
      }),
    );
    return {
      ticket,
      bugs: board.listBugs(ticketId),
      runs: board.listRuns({ ticketId }),
      history: board.history(ticketId),
      checkIns: board.listCheckIns(ticketId),
      conversations,
      threadStats,
      dependencies: ticket.dependsOn.flatMap((id) => board.getTicket(id) ?? []),
      attention: this.deps.attention.forTicket(ticketId),
      changedFiles: this.deps.changedFiles.get(ticket),
      changes: board.listChangedFiles(ticketId),
      securityScan: board.getSecurityScan(ticketId),
      location: placedLocation(board, ticketId),
      salvages: board.listSalvages({ ticketId }),
      boardDir: board.dir,
      now: Date.now(),
      time: this.deps.time,
    };
  }

  override dispose(): void {
    this.boardSubscription?.dispose();
    this.boardSubscription = undefined;
    super.dispose();
  }
}

/** A gathered ticket's place in the code, with its file checked to be inside the repository (the link's target). */
function placedLocation(board: Board, ticketId: string): TicketDocumentData['location'] {
  const location = gatheredLocation(board, ticketId);
  return location && { ...location, fsPath: insideWorktree(board.repoRoot, location.file) };
}
