/**
 * The Tickets view's filter: free text plus `label:<name>` and `source:<user|gatherer|security>`
 * terms, typed into one input box. Pure, so parsing and matching are tested in plain node.
 */
import { TICKET_SOURCES, type Ticket, type TicketSource } from '../../domain/ticket';

export interface TicketFilterSpec {
  /** Lower-cased words that must all appear in the id, title, description or labels. */
  words: string[];
  /** Labels the ticket must all carry (case-insensitive). */
  labels: string[];
  source?: TicketSource | undefined;
}

export type ParsedFilter = { ok: true; filter: TicketFilterSpec | undefined } | { ok: false; error: string };

/** Parses what the user typed; an empty input means "no filter". */
export function parseTicketFilter(input: string): ParsedFilter {
  const words: string[] = [];
  const labels: string[] = [];
  let source: TicketSource | undefined;
  for (const term of input.trim().split(/\s+/).filter((t) => t.length > 0)) {
    const match = /^(label|source):(.*)$/i.exec(term);
    if (!match) {
      words.push(term.toLowerCase());
      continue;
    }
    const key = match[1].toLowerCase();
    const value = match[2].toLowerCase();
    if (value.length === 0) return { ok: false, error: `"${key}:" needs a value, for example ${key === 'label' ? 'label:ui' : 'source:gatherer'}` };
    if (key === 'label') {
      labels.push(value);
    } else if ((TICKET_SOURCES as readonly string[]).includes(value)) {
      if (source !== undefined && source !== value) return { ok: false, error: 'a ticket has one source: use source: once' };
      source = value as TicketSource;
    } else {
      return { ok: false, error: `unknown source "${value}": use one of ${TICKET_SOURCES.join(', ')}` };
    }
  }
  if (words.length === 0 && labels.length === 0 && source === undefined) return { ok: true, filter: undefined };
  return { ok: true, filter: { words, labels, source } };
}

/** The filter as the user would type it again (shown in the view's description). */
export function formatTicketFilter(filter: TicketFilterSpec): string {
  return [...filter.words, ...filter.labels.map((l) => `label:${l}`), ...(filter.source ? [`source:${filter.source}`] : [])].join(' ');
}

export function matchesTicketFilter(ticket: Ticket, filter: TicketFilterSpec | undefined): boolean {
  if (!filter) return true;
  if (filter.source !== undefined && ticket.source !== filter.source) return false;
  const ticketLabels = ticket.labels.map((l) => l.toLowerCase());
  if (!filter.labels.every((l) => ticketLabels.includes(l))) return false;
  if (filter.words.length === 0) return true;
  const haystack = [ticket.id, ticket.title, ticket.description, ...ticket.labels].join('\n').toLowerCase();
  return filter.words.every((w) => haystack.includes(w));
}
