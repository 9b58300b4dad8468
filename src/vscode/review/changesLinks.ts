import * as vscode from 'vscode';
import type { Board } from '../../store/api';
import { Commands } from '../constants';
import { CHANGES_HEADING, changeLine, changePathText } from '../document/renderChanges';
import { ticketIdOfDocument } from '../document/ticketUri';

/**
 * Makes each file of the ticket document's Changes section open that file's diff. The links are
 * ours alone: they are found by the exact line the renderer wrote for each recorded file, and the
 * command's arguments are the ticket id and the path from the store, never text from the page.
 */
export class ChangesLinkProvider implements vscode.DocumentLinkProvider {
  constructor(private readonly board: () => Board | undefined) {}

  provideDocumentLinks(document: vscode.TextDocument): vscode.DocumentLink[] {
    const ticketId = ticketIdOfDocument(document.uri);
    const board = this.board();
    if (ticketId === undefined || !board || !vscode.workspace.isTrusted) return [];
    const lines = document.getText().split('\n');
    const start = lines.indexOf(CHANGES_HEADING);
    if (start < 0) return [];
    let end = lines.findIndex((l, i) => i > start && l.startsWith('## '));
    if (end < 0) end = lines.length;
    const links: vscode.DocumentLink[] = [];
    for (const change of board.listChangedFiles(ticketId)) {
      const at = lines.indexOf(changeLine(change), start + 1);
      if (at < 0 || at >= end) continue;
      const range = new vscode.Range(at, 2, at, 2 + changePathText(change.path).length);
      const args = encodeURIComponent(JSON.stringify([ticketId, change.path]));
      const link = new vscode.DocumentLink(range, vscode.Uri.parse(`command:${Commands.OpenChange}?${args}`));
      link.tooltip = `Open the diff of ${change.path}`;
      links.push(link);
    }
    return links;
  }
}
