import * as vscode from 'vscode';
import { gatheredLocation } from '../../scan/gatherer/location';
import type { Board } from '../../store/api';
import { Disposable } from '../util/disposable';
import { renderTicketDocument, renderUnavailable, type TicketDocumentData } from './renderTicket';
import { ticketDocumentUri, ticketIdOfDocument } from './ticketUri';

/**
 * Serves `agent-factory:/T-12.md`. Content providers' documents are read-only in VS Code; the
 * provider re-renders an open document whenever the store says its ticket changed (here or in
 * another process).
 */
export class TicketDocumentProvider extends Disposable implements vscode.TextDocumentContentProvider {
  private readonly changed = this._register(new vscode.EventEmitter<vscode.Uri>());
  readonly onDidChange = this.changed.event;
  private board: Board | undefined;
  private boardSubscription: vscode.Disposable | undefined;

  setBoard(board: Board | undefined): void {
    this.boardSubscription?.dispose();
    this.board = board;
    this.boardSubscription = board?.onDidChange((change) => this.refresh(change.ticketIds));
    this.refresh([]);
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
    if (id === undefined) return renderUnavailable('Not a ticket', 'Ticket documents are named like agent-factory:/T-12.md.');
    if (!this.board) return renderUnavailable(id, 'No board is open in this window.');
    const data = readTicketDocumentData(this.board, id);
    return data ? renderTicketDocument(data) : renderUnavailable(id, 'This ticket does not exist (any more) on this board.');
  }

  override dispose(): void {
    this.boardSubscription?.dispose();
    this.boardSubscription = undefined;
    super.dispose();
  }
}

export function readTicketDocumentData(board: Board, ticketId: string): TicketDocumentData | undefined {
  const ticket = board.getTicket(ticketId);
  if (!ticket) return undefined;
  return {
    ticket,
    bugs: board.listBugs(ticketId),
    runs: board.listRuns({ ticketId }),
    history: board.history(ticketId),
    checkIns: board.listCheckIns(ticketId),
    conversations: board.listConversations({ ticketId }),
    dependencies: ticket.dependsOn.flatMap((id) => board.getTicket(id) ?? []),
    securityScan: board.getSecurityScan(ticketId),
    location: gatheredLocation(board, ticketId),
    changes: board.listChangedFiles(ticketId),
    salvages: board.listSalvages({ ticketId }),
  };
}
