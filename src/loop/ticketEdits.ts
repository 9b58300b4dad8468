/**
 * Editing a ticket's fields, the same from the editor and the CLI: the change is written, what
 * changed goes into the ticket's history in a person's words, and an agent working the ticket
 * finds the new values in its inbox (`agent-factory inbox`) instead of working from a stale prompt.
 */
import type { Actor } from '../domain/status';
import type { Ticket } from '../domain/ticket';
import { priorityName } from '../domain/vocabulary';
import { ensurePmThread } from '../runner/threads';
import type { BoardTx, TicketPatch } from '../store/api';

/** The fields a person edits (the rest of a TicketPatch is the agents' bookkeeping). */
export type TicketEditPatch = Pick<TicketPatch, 'title' | 'description' | 'acceptanceCriteria' | 'priority' | 'type' | 'labels' | 'dependsOn'>;

export interface TicketEditResult {
  ticket: Ticket;
  /** What changed, as the history says it ("priority medium → high"); empty when nothing did. */
  changes: string[];
  /** The edit was sent to the inbox of the agent working the ticket. */
  toAgent: boolean;
}

export const EDIT_METADATA_KEY = 'edited';
const QUOTE_MAX = 60;

export function editTicket(tx: BoardTx, ticketId: string, patch: TicketEditPatch, by: Actor): TicketEditResult {
  const before = tx.getTicket(ticketId);
  // The store says what is wrong (no such ticket, a bad value, a cycle), the same way everywhere.
  const after = tx.updateTicket(ticketId, patch);
  const changed = before ? changedFields(before, after) : [];
  if (changed.length === 0) return { ticket: after, changes: [], toAgent: false };
  const changes = changed.map((field) => describeChange(field, before ?? after, after));
  tx.addHistoryNote(after.id, by, `Edited ${changes.join('; ')}`);
  const working = tx.listRuns({ ticketId: after.id, status: ['running', 'queued'] }).length > 0;
  if (working) {
    const thread = ensurePmThread(tx, after.id);
    tx.addMessage({
      conversationId: thread.id,
      author: by,
      kind: 'system',
      body: agentMessage(changed, after),
      toAgent: true,
      metadata: { [EDIT_METADATA_KEY]: changed },
    });
  }
  return { ticket: after, changes, toAgent: working };
}

type Field = keyof TicketEditPatch;
const FIELDS: readonly Field[] = ['title', 'description', 'acceptanceCriteria', 'priority', 'type', 'labels', 'dependsOn'];

function changedFields(before: Ticket, after: Ticket): Field[] {
  return FIELDS.filter((f) => JSON.stringify(before[f]) !== JSON.stringify(after[f]));
}

function describeChange(field: Field, before: Ticket, after: Ticket): string {
  switch (field) {
    case 'title':
      return `title "${quote(before.title)}" → "${quote(after.title)}"`;
    case 'description':
      return after.description.trim() ? 'description' : 'description (now empty)';
    case 'acceptanceCriteria':
      return `acceptance criteria (${before.acceptanceCriteria.length} → ${after.acceptanceCriteria.length})`;
    case 'priority':
      return `priority ${priorityName(before.priority)} → ${priorityName(after.priority)}`;
    case 'type':
      return `type ${before.type} → ${after.type}`;
    case 'labels':
      return `labels: ${after.labels.join(', ') || 'none'}`;
    case 'dependsOn':
      return `depends on ${after.dependsOn.join(', ') || 'nothing'}`;
  }
}

/** The new values in full: the agent works from these, not from its prompt. */
function agentMessage(fields: readonly Field[], t: Ticket): string {
  const lines = [`A person edited ${t.id} while you work on it. Work from these values now:`];
  for (const field of fields) {
    lines.push('');
    switch (field) {
      case 'title':
        lines.push(`Title: ${t.title}`);
        break;
      case 'description':
        lines.push('Description:', t.description.trim() || '(none)');
        break;
      case 'acceptanceCriteria':
        lines.push('Acceptance criteria:', ...(t.acceptanceCriteria.length > 0 ? t.acceptanceCriteria.map((c) => `- ${c}`) : ['(none)']));
        break;
      case 'priority':
        lines.push(`Priority: ${priorityName(t.priority)}`);
        break;
      case 'type':
        lines.push(`Type: ${t.type}`);
        break;
      case 'labels':
        lines.push(`Labels: ${t.labels.join(', ') || 'none'}`);
        break;
      case 'dependsOn':
        lines.push(`Depends on: ${t.dependsOn.join(', ') || 'nothing'}`);
        break;
    }
  }
  return lines.join('\n');
}

function quote(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > QUOTE_MAX ? `${flat.slice(0, QUOTE_MAX - 1)}…` : flat;
}
