import * as vscode from 'vscode';
import { Commands } from '../constants';
import type { PageTarget } from './renderTicket';
import type { TicketDocumentProvider } from './ticketDocumentProvider';
import { ticketDocumentUri } from './ticketUri';

/**
 * The links of the ticket page: files (a bug's or a finding's line, a changed file, a run's log, a
 * gathered item's location), the tickets it depends on, its worktree, and each recorded change's
 * diff (only in a trusted workspace, where git may run). Their targets were computed by the renderer from
 * validated ids and paths inside the worktree or the board folder; nothing a ticket says becomes
 * a link.
 */
export class TicketPageLinks implements vscode.DocumentLinkProvider {
  constructor(private readonly pages: TicketDocumentProvider) {}

  provideDocumentLinks(document: vscode.TextDocument): vscode.DocumentLink[] {
    const page = this.pages.pageOf(document);
    if (!page) return [];
    const trusted = vscode.workspace.isTrusted;
    return page.links.filter((l) => trusted || l.target.kind !== 'diff').map((l) => {
      const link = new vscode.DocumentLink(new vscode.Range(l.line, l.start, l.line, l.end), linkTarget(l.target));
      link.tooltip = linkTooltip(l.target);
      return link;
    });
  }
}

export function linkTarget(target: PageTarget): vscode.Uri {
  switch (target.kind) {
    case 'file':
      return vscode.Uri.file(target.fsPath).with(target.line !== undefined && target.line > 0 ? { fragment: `L${target.line}` } : {});
    case 'ticket':
      return ticketDocumentUri(target.ticketId);
    case 'worktree':
      return vscode.Uri.parse(`command:${Commands.OpenWorktree}?${encodeURIComponent(JSON.stringify([target.ticketId]))}`);
    case 'diff':
      return vscode.Uri.parse(`command:${Commands.OpenChange}?${encodeURIComponent(JSON.stringify([target.ticketId, target.path]))}`);
  }
}

function linkTooltip(target: PageTarget): string {
  switch (target.kind) {
    case 'file':
      return target.line !== undefined ? `Open at line ${target.line}` : 'Open the file';
    case 'ticket':
      return `Open ${target.ticketId}`;
    case 'worktree':
      return 'Open Worktree';
    case 'diff':
      return `Open the diff of ${target.path}`;
  }
}
