import * as vscode from 'vscode';
import { isTicketId } from '../../domain/ids';
import type { TicketMover, MoveOutcome } from './ticketMover';
import { isTicketNode, type TicketTreeNode } from './ticketTreeNodes';

/** The tree's own mime type (`application/vnd.code.tree.<view id lower-cased>`). */
export const TICKETS_MIME = 'application/vnd.code.tree.agentfactory.tickets';

/**
 * Dragging tickets onto a status group (or onto a range or a ticket in it) moves them there,
 * validated by the transition table in the mover. The data carries ticket ids only, as JSON: a
 * range dragged along carries nothing.
 */
export class TicketDragAndDropController implements vscode.TreeDragAndDropController<TicketTreeNode> {
  readonly dropMimeTypes = [TICKETS_MIME];
  readonly dragMimeTypes = [TICKETS_MIME];

  constructor(private readonly mover: TicketMover) {}

  handleDrag(source: readonly TicketTreeNode[], dataTransfer: vscode.DataTransfer): void {
    const ids = source.filter(isTicketNode).map((node) => node.ticketId);
    if (ids.length > 0) dataTransfer.set(TICKETS_MIME, new vscode.DataTransferItem(JSON.stringify(ids)));
  }

  async handleDrop(target: TicketTreeNode | undefined, dataTransfer: vscode.DataTransfer, token?: vscode.CancellationToken): Promise<void> {
    await this.drop(target, dataTransfer, token);
  }

  /** Moves the dropped tickets; resolves with what happened to each, in order. */
  async drop(target: TicketTreeNode | undefined, dataTransfer: vscode.DataTransfer, token?: vscode.CancellationToken): Promise<MoveOutcome[]> {
    const item = dataTransfer.get(TICKETS_MIME);
    if (!item || !target) return [];
    const ids = await droppedTicketIds(item);
    const outcomes: MoveOutcome[] = [];
    for (const id of ids) {
      if (token?.isCancellationRequested) break;
      outcomes.push(await this.mover.move(id, target.status, 'drop'));
    }
    return outcomes;
  }
}

/**
 * Ticket ids from a drop: our own JSON list, or the dragged tree elements VS Code puts under the
 * tree's mime type when it did not go through `handleDrag`. Anything else is ignored.
 */
async function droppedTicketIds(item: vscode.DataTransferItem): Promise<string[]> {
  let value: unknown = item.value;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(await item.asString());
    } catch {
      return [];
    }
  }
  if (!Array.isArray(value)) return [];
  const ids = value.map((v: unknown) => (isTicketNode(v) ? v.ticketId : v)).filter(isTicketId);
  return [...new Set(ids)];
}
