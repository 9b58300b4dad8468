/**
 * What the PM keeps of the board between its cycles, so that a cycle reads what changed since the
 * last one and not every active ticket: the active tickets with their latest check-in (and, in
 * IN_DEV, since when nothing has run on them and whether a person holds them), the blocked
 * tickets, and the count of tickets per status.
 *
 * It follows the board's change events. A change that names its tickets makes them read again at
 * the next take; one that cannot say what it touched (a reload, another process's change of
 * unknown reach) makes the next take read everything; one that touched no ticket (agent states,
 * leases, meta) changes nothing here. A take inside a write (`takeNow` on the transaction) takes in
 * what the write's own catch-up with other processes brought, before the PM changes anything.
 */
import type { CheckIn } from '../../domain/checkin';
import type { Disposable } from '../../domain/event';
import { ACTIVE_STATUSES, type Status } from '../../domain/status';
import type { Ticket } from '../../domain/ticket';
import type { Board, BoardReader } from '../../store/api';
import { heldByPerson } from './heal';

export interface ActiveTicket {
  ticket: Ticket;
  /** The ticket's latest check-in. */
  latest: CheckIn | undefined;
  /** IN_DEV only: since when nothing has run on it (its move into IN_DEV, or its last run's end or heartbeat). */
  idleSince: number | undefined;
  /** IN_DEV only: a person moved it there with a note and works on it by hand (see heldByPerson). */
  held: boolean;
}

/** What a take brought in. */
export interface ViewChanges {
  /** Everything was read again: nothing may be assumed unchanged. */
  full: boolean;
  /** Tickets read again (empty when full). */
  tickets: ReadonlySet<string>;
}

/** How many tickets a take outside a write reads between two turns of the event loop. */
const BATCH = 20;

export class PmBoardView implements Disposable {
  /**
   * The board followed, known by its open report: a cycle's board may be a fenced view of it, a
   * new object every cycle, but the report is the one object of that opened board.
   */
  private following: Board['openReport'] | undefined;
  private subscription: Disposable | undefined;
  private everything = true;
  private dirty = new Set<string>();
  private readonly active = new Map<string, ActiveTicket>();
  private readonly blocked = new Map<string, Ticket>();
  private sorted: ActiveTicket[] | undefined;
  private counts: Record<Status, number> | undefined;

  /** Follows `board` from now on; another board than last time starts over. */
  attach(board: Board): void {
    if (this.following === board.openReport) return;
    this.subscription?.dispose();
    this.following = board.openReport;
    this.everything = true;
    this.dirty = new Set();
    this.subscription = board.onDidChange((e) => {
      if (e.ticketIds.length > 0) for (const id of e.ticketIds) this.dirty.add(id);
      else if (!e.noTickets) this.everything = true;
    });
  }

  /**
   * Takes in what changed, outside a write: the tickets are read in batches, and the event loop
   * runs between them (changes made meanwhile are taken at the next take).
   */
  async take(reader: BoardReader, pause: () => Promise<void>): Promise<ViewChanges> {
    const full = this.everything;
    const ids = full ? this.startFull(reader) : [...this.takeDirtySet()];
    // Each batch, and the count, a stretch of its own (listing the tickets was one already).
    for (let i = 0; i < ids.length; i += BATCH) {
      await pause();
      // A change that comes in meanwhile is read again at the next take; until then it stands as read.
      this.readTickets(reader, ids.slice(i, i + BATCH), !full);
    }
    if (full) {
      await pause();
      // Counted after the reads: a ticket that moved during them is counted where it is now.
      this.counts = reader.countByStatus();
    }
    return { full, tickets: full ? new Set() : new Set(ids) };
  }

  /** Takes in what changed, synchronously (inside a write). */
  takeNow(reader: BoardReader): ViewChanges {
    const full = this.everything;
    const ids = full ? this.startFull(reader) : [...this.takeDirtySet()];
    this.readTickets(reader, ids, !full);
    if (full) this.counts = reader.countByStatus();
    return { full, tickets: full ? new Set() : new Set(ids) };
  }

  /** The next take reads everything again. */
  invalidate(): void {
    this.everything = true;
  }

  /** Active tickets in board order (by number). */
  activeTickets(): readonly ActiveTicket[] {
    this.sorted ??= [...this.active.values()].sort((a, b) => ticketNumber(a.ticket.id) - ticketNumber(b.ticket.id));
    return this.sorted;
  }

  /** Blocked tickets in board order. */
  blockedTickets(): Ticket[] {
    return [...this.blocked.values()].sort((a, b) => ticketNumber(a.id) - ticketNumber(b.id));
  }

  /** Tickets per status as of the last take. */
  countByStatus(reader: BoardReader): Record<Status, number> {
    this.counts ??= reader.countByStatus();
    return this.counts;
  }

  dispose(): void {
    this.subscription?.dispose();
    this.subscription = undefined;
    this.following = undefined;
  }

  /** Starts a full read: the blocked tickets now; returns the active ones to read. */
  private startFull(reader: BoardReader): string[] {
    this.everything = false;
    this.dirty = new Set();
    this.active.clear();
    this.blocked.clear();
    this.sorted = undefined;
    this.counts = undefined;
    for (const t of reader.listTickets({ status: 'BLOCKED' })) this.blocked.set(t.id, t);
    return reader.listTickets({ status: ACTIVE_STATUSES }).map((t) => t.id);
  }

  private takeDirtySet(): Set<string> {
    const changed = this.dirty;
    this.dirty = new Set();
    return changed;
  }

  /** Reads these tickets again; `counted`: the counts are kept, so a ticket's move is counted. */
  private readTickets(reader: BoardReader, ids: readonly string[], counted: boolean): void {
    let recount = false;
    for (const id of ids) {
      const t = reader.getTicket(id);
      const before = this.active.get(id)?.ticket.status ?? this.blocked.get(id)?.status;
      // A move between statuses this view does not keep (or a ticket made or deleted) shows only in the counts.
      if (before !== t?.status || before === undefined) recount = true;
      if (this.active.delete(id)) this.sorted = undefined;
      this.blocked.delete(id);
      if (t === undefined) continue;
      if (ACTIVE_STATUSES.includes(t.status)) {
        this.active.set(id, activeOf(reader, t));
        this.sorted = undefined;
      } else if (t.status === 'BLOCKED') {
        this.blocked.set(id, t);
      }
    }
    if (counted && recount) this.counts = reader.countByStatus();
  }
}

function activeOf(reader: BoardReader, ticket: Ticket): ActiveTicket {
  const inDev = ticket.status === 'IN_DEV';
  return {
    ticket,
    latest: reader.latestCheckIn(ticket.id),
    idleSince: inDev ? idleSince(reader, ticket) : undefined,
    held: inDev && heldByPerson(reader, ticket),
  };
}

/** Since when nothing has run on an IN_DEV ticket: its move into IN_DEV or its last run's end (or heartbeat), whichever is later. */
function idleSince(reader: BoardReader, ticket: Ticket): number {
  let since = ticket.statusSince;
  for (const r of reader.listRuns({ ticketId: ticket.id })) {
    const ended = r.endedAt ?? r.heartbeatAt;
    if (ended > since) since = ended;
  }
  return since;
}

/** The ticket ids a blocked reason names (other than the ticket's own). */
export function namedTickets(ticket: Ticket): string[] {
  return [...(ticket.blockedReason ?? '').matchAll(/\bT-[1-9][0-9]{0,8}\b/g)].map((m) => m[0]).filter((id) => id !== ticket.id);
}

function ticketNumber(id: string): number {
  return Number(id.slice(id.indexOf('-') + 1));
}
