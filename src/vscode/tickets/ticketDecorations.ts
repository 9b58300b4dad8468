import * as vscode from 'vscode';
import type { AttentionItem } from '../../loop/attention';
import { describeOverlap, type Overlap } from '../../radar/overlaps';
import type { AttentionModel } from '../attention/attentionModel';
import { ticketDocumentUri, ticketIdOfDocument } from '../document/ticketUri';
import { oneLine } from '../document/untrustedText';
import { Disposable } from '../util/disposable';
import type { TicketTreeModel } from './ticketTreeModel';

/**
 * A ticket as the resource its Tickets view item decorates: its page's uri, so the row and the
 * page's tab carry the same mark.
 */
export function ticketResourceUri(ticketId: string): vscode.Uri {
  return ticketDocumentUri(ticketId);
}

/**
 * Marks the tickets that need a person, wherever a ticket shows as its page's uri: its row in the
 * Tickets view and the tab of its page. A critical finding is red with "!", a question for a
 * person "?", anything else yellow with "•". The conflict radar's overlaps (a ticket whose
 * recorded files overlap another live ticket's) add "⚠" and a tooltip naming the other ticket
 * and the files.
 */
export class TicketDecorations extends Disposable implements vscode.FileDecorationProvider {
  private readonly changed = this._register(new vscode.EventEmitter<vscode.Uri[] | undefined>());
  readonly onDidChangeFileDecorations = this.changed.event;
  private marked = new Set<string>();

  constructor(
    private readonly attention: AttentionModel,
    private readonly model: TicketTreeModel,
  ) {
    super();
    this._register(attention.onDidChange(() => this.update()));
    this._register(model.onDidChange(() => this.changed.fire(undefined)));
    this.update();
  }

  provideFileDecoration(uri: vscode.Uri): vscode.FileDecoration | undefined {
    const id = ticketIdOfDocument(uri);
    return id === undefined ? undefined : ticketDecoration(this.attention.forTicket(id), this.model.row(id)?.overlaps ?? []);
  }

  /** Fires for the tickets whose mark appeared, changed or went away. */
  private update(): void {
    const now = new Set(this.attention.current.tickets);
    const touched = new Set([...now, ...this.marked]);
    this.marked = now;
    if (touched.size > 0) this.changed.fire([...touched].map(ticketDocumentUri));
  }
}

export function ticketDecoration(items: readonly AttentionItem[], overlaps: readonly Overlap[] = []): vscode.FileDecoration | undefined {
  const overlapText = overlaps.length > 0 ? `Changes the same files as ${overlaps.map((o) => describeOverlap(o)).join('; ')}` : '';
  if (items.length === 0) {
    if (!overlapText) return undefined;
    const decoration = new vscode.FileDecoration('⚠', overlapText, new vscode.ThemeColor('list.warningForeground'));
    decoration.propagate = false;
    return decoration;
  }
  const critical = items.some((i) => i.kind === 'finding' && i.severity === 'critical');
  const asks = items.some((i) => i.question === true);
  const badge = critical ? '!' : asks ? '?' : '•';
  const color = new vscode.ThemeColor(critical ? 'list.errorForeground' : 'list.warningForeground');
  const tooltip = [items.map((i) => oneLine(i.detail)).join('; ').slice(0, 300), overlapText].filter(Boolean).join('\n');
  const decoration = new vscode.FileDecoration(badge, tooltip, color);
  decoration.propagate = false;
  return decoration;
}
