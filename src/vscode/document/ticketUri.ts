import * as vscode from 'vscode';
import { isTicketId } from '../../domain/ids';
import { DOCUMENT_SCHEME } from '../constants';

/** `agent-factory:/T-12.md`: the read-only markdown document of one ticket. */
export function ticketDocumentUri(ticketId: string): vscode.Uri {
  return vscode.Uri.from({ scheme: DOCUMENT_SCHEME, path: `/${ticketId}.md` });
}

/** The ticket id of a ticket document, or undefined for any other uri. */
export function ticketIdOfDocument(uri: vscode.Uri): string | undefined {
  if (uri.scheme !== DOCUMENT_SCHEME) return undefined;
  const match = /^\/(T-[0-9]+)\.md$/.exec(uri.path);
  return match && isTicketId(match[1]) ? match[1] : undefined;
}
