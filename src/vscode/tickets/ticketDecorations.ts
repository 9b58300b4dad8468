import * as vscode from 'vscode';
import { isTicketId } from '../../domain/ids';
import { describeOverlap } from '../../radar/overlaps';
import { TICKET_RESOURCE_SCHEME } from '../constants';
import { Disposable } from '../util/disposable';
import type { TicketTreeModel } from './ticketTreeModel';

/** `agent-factory-ticket:/T-12`: a ticket as the resource its Tickets view item decorates. */
export function ticketResourceUri(ticketId: string): vscode.Uri {
  return vscode.Uri.from({ scheme: TICKET_RESOURCE_SCHEME, path: `/${ticketId}` });
}

/**
 * The conflict radar in the Tickets view: a ticket whose recorded files overlap another live
 * ticket's gets a warning badge and colour, and a tooltip naming the other ticket and the files.
 */
export class TicketDecorations extends Disposable implements vscode.FileDecorationProvider {
  private readonly changed = this._register(new vscode.EventEmitter<undefined>());
  readonly onDidChangeFileDecorations = this.changed.event;

  constructor(private readonly model: TicketTreeModel) {
    super();
    this._register(model.onDidChange(() => this.changed.fire(undefined)));
    this._register(vscode.window.registerFileDecorationProvider(this));
  }

  provideFileDecoration(uri: vscode.Uri): vscode.FileDecoration | undefined {
    if (uri.scheme !== TICKET_RESOURCE_SCHEME) return undefined;
    const id = uri.path.replace(/^\//, '');
    if (!isTicketId(id)) return undefined;
    const overlaps = this.model.row(id)?.overlaps ?? [];
    if (overlaps.length === 0) return undefined;
    const decoration = new vscode.FileDecoration('⚠', `Changes the same files as ${overlaps.map((o) => describeOverlap(o)).join('; ')}`, new vscode.ThemeColor('list.warningForeground'));
    decoration.propagate = false;
    return decoration;
  }
}
