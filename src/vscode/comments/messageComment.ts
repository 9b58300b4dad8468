import * as vscode from 'vscode';
import type { Message } from '../../domain/conversation';
import { sanitizeText } from '../document/untrustedText';
import { escapeMarkdown, untrustedMarkdown } from '../util/markdown';

/** Who wrote a message, as the thread shows it. Agents keep their names; the user is "You". */
export function authorName(author: string): string {
  return author === 'user' ? 'You' : sanitizeText(author).replace(/\s+/g, ' ').trim() || 'Unknown';
}

const KIND_LABELS: Partial<Record<Message['kind'], string>> = {
  checkin: 'check-in',
  finding: 'finding',
  system: 'system',
  progress: 'progress',
};

/**
 * One stored message as a comment. The body is agent or user text: escaped into a MarkdownString
 * that is neither trusted nor allowed HTML, so links, command URIs, images and fences stay text.
 */
export class MessageComment implements vscode.Comment {
  readonly mode = vscode.CommentMode.Preview;
  readonly author: vscode.CommentAuthorInformation;
  readonly body: vscode.MarkdownString;
  readonly timestamp: Date;
  readonly label: string | undefined;
  readonly contextValue: string;

  constructor(readonly message: Message) {
    this.author = { name: authorName(message.author) };
    this.body = messageBody(message.body);
    this.timestamp = new Date(message.createdAt);
    this.label = KIND_LABELS[message.kind];
    this.contextValue = message.author === 'user' ? 'message.user' : 'message.agent';
  }
}

export function messageBody(text: string): vscode.MarkdownString {
  const md = untrustedMarkdown();
  const clean = sanitizeText(text).trim();
  md.appendMarkdown(clean.length > 0 ? escapeMarkdown(clean) : '_(empty message)_');
  return md;
}
