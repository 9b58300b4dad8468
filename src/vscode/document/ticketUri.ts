import * as vscode from 'vscode';
import { isTicketId } from '../../domain/ids';
import { DOCUMENT_SCHEME } from '../constants';

/** `agent-factory:/T-12`: the read-only page of one ticket, plain text (see renderTicket.ts). */
export function ticketDocumentUri(ticketId: string): vscode.Uri {
  return vscode.Uri.from({ scheme: DOCUMENT_SCHEME, path: `/${ticketId}` });
}

/** The ticket id of a ticket document, or undefined for any other uri. */
export function ticketIdOfDocument(uri: vscode.Uri): string | undefined {
  if (uri.scheme !== DOCUMENT_SCHEME) return undefined;
  const match = /^\/(T-[0-9]+)$/.exec(uri.path);
  return match && isTicketId(match[1]) ? match[1] : undefined;
}
