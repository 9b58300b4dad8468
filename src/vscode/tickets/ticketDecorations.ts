import * as vscode from 'vscode';
import type { AttentionItem } from '../../loop/attention';
import type { AttentionModel } from '../attention/attentionModel';
import { ticketDocumentUri, ticketIdOfDocument } from '../document/ticketUri';
import { oneLine } from '../document/untrustedText';
import { Disposable } from '../util/disposable';

/**
 * Marks the tickets that need a person, wherever a ticket shows as its page's uri: its row in the
 * Tickets view and the tab of its page. A critical finding is red with "!", a question for a
 * person "?", anything else yellow with "•".
 */
export class TicketDecorations extends Disposable implements vscode.FileDecorationProvider {
  private readonly changed = this._register(new vscode.EventEmitter<vscode.Uri[]>());
  readonly onDidChangeFileDecorations = this.changed.event;
  private marked = new Set<string>();

  constructor(private readonly attention: AttentionModel) {
    super();
    this._register(attention.onDidChange(() => this.update()));
    this.update();
  }

  provideFileDecoration(uri: vscode.Uri): vscode.FileDecoration | undefined {
    const id = ticketIdOfDocument(uri);
    return id === undefined ? undefined : ticketDecoration(this.attention.forTicket(id));
  }

  /** Fires for the tickets whose mark appeared, changed or went away. */
  private update(): void {
    const now = new Set(this.attention.current.tickets);
    const touched = new Set([...now, ...this.marked]);
    this.marked = now;
    if (touched.size > 0) this.changed.fire([...touched].map(ticketDocumentUri));
  }
}

export function ticketDecoration(items: readonly AttentionItem[]): vscode.FileDecoration | undefined {
  if (items.length === 0) return undefined;
  const critical = items.some((i) => i.kind === 'finding' && i.severity === 'critical');
  const asks = items.some((i) => i.question === true);
  const badge = critical ? '!' : asks ? '?' : '•';
  const color = new vscode.ThemeColor(critical ? 'list.errorForeground' : 'list.warningForeground');
  const decoration = new vscode.FileDecoration(badge, items.map((i) => oneLine(i.detail)).join('; ').slice(0, 300), color);
  decoration.propagate = false;
  return decoration;
}
