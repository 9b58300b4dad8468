import * as vscode from 'vscode';
import { gatheredLocation } from '../../scan/gatherer/location';
import { insideWorktree } from '../../scan/security/view';
import type { Board } from '../../store/api';
import { LOCATION_PREFIX } from './renderTicket';
import { ticketIdOfDocument } from './ticketUri';

/**
 * Makes a gathered ticket's "Location:" line on its document a link that opens the file at the
 * line where its comment is now. The target comes from the board (the Gatherer's record of the
 * item), never from the document's text, and only ever points inside the repository.
 */
export class TicketLocationLinks implements vscode.DocumentLinkProvider {
  constructor(private readonly getBoard: () => Board | undefined) {}

  provideDocumentLinks(document: vscode.TextDocument): vscode.DocumentLink[] {
    const ticketId = ticketIdOfDocument(document.uri);
    const board = this.getBoard();
    if (ticketId === undefined || !board) return [];
    const location = gatheredLocation(board, ticketId);
    const fsPath = location && insideWorktree(board.repoRoot, location.file);
    if (!location || !fsPath) return [];
    for (let i = 0; i < document.lineCount; i++) {
      const text = document.lineAt(i).text;
      if (!text.startsWith(LOCATION_PREFIX)) continue;
      const link = new vscode.DocumentLink(
        new vscode.Range(i, LOCATION_PREFIX.length, i, text.length),
        vscode.Uri.file(fsPath).with({ fragment: `L${location.line}` }),
      );
      link.tooltip = `Open ${location.file} at line ${location.line}`;
      return [link];
    }
    return [];
  }
}
