/**
 * The data behind the Tickets view, separate from its TreeDataProvider: the current board's
 * tickets grouped by status, the filter, and one coalesced change event. Board changes (this
 * window's or another process's) arrive in bursts, so they are folded into one refresh per
 * `coalesceMs`. No `vscode` import: the view is a thin adapter over this.
 *
 * A board of 10,000 tickets is too big to read and group in one turn of the extension host's
 * thread, so a build is a SlicedJob: it runs in slices of a few ms with the event loop free in
 * between (a small board still builds in its first slice, at once). What a build read is kept:
 * a change re-reads only the tickets it names (and the rows that depend on them) and regroups
 * only the statuses whose rows changed; the change event says which groups changed.
 */
import { Emitter, type Disposable, type Event } from '../../domain/event';
import { unmetDependencies } from '../../domain/dependencies';
import type { CheckIn } from '../../domain/checkin';
import { ticketNumber } from '../../domain/ids';
import type { Run } from '../../domain/run';
import { STATUSES, type Status } from '../../domain/status';
import type { Ticket } from '../../domain/ticket';
import { changeTotals } from '../../git/changeSummary';
import { ticketProgress } from '../../loop/ticketProgress';
import { overlapsByTicket, type Overlap } from '../../radar/overlaps';
import type { Board, RecordedChange } from '../../store/api';
import { SlicedJob } from './slicedJob';
import { rowOrder, rowSignature, type StatusGroup, type TicketRow } from './ticketGroups';
import { formatTicketFilter, matchesTicketFilter, type TicketFilterSpec } from './ticketFilter';

/** Which groups a refresh changed. */
export interface TicketTreeChange {
  /** The statuses whose group changed (its count, its rows or how one looks); undefined: the groups themselves came or went. */
  readonly statuses?: readonly Status[] | undefined;
}

/** Tickets read from the store per slice of a full read. */
const PAGE = 100;

/** What changed since the last build: some tickets, or anything. */
type Pending = Set<string> | 'all';

/** The board as the last build read it, per ticket. */
interface BoardView {
  tickets: Map<string, Ticket>;
  checkIns: Map<string, CheckIn>;
  changes: Map<string, RecordedChange[]>;
  overlaps: Map<string, Overlap[]>;
  running: Map<string, Run[]>;
}

const emptyView = (): BoardView => ({ tickets: new Map(), checkIns: new Map(), changes: new Map(), overlaps: new Map(), running: new Map() });

export class TicketTreeModel implements Disposable {
  private board: Board | undefined;
  private boardSubscription: Disposable | undefined;
  private filterSpec: TicketFilterSpec | undefined;
  private hideEmpty = false;
  private view: BoardView = emptyView();
  /** Every ticket's row, filtered out or not. */
  private rows = new Map<string, TicketRow>();
  private groups: StatusGroup[] = [];
  private readonly groupByStatus = new Map<Status, StatusGroup>();
  /** Each group as last fired (undefined: the status had no group yet), to tell whether a rebuild changed how it looks. */
  private readonly shownGroups = new Map<Status, StatusGroup | undefined>();
  private readonly signatures = new WeakMap<TicketRow, string>();
  private readonly orders = new WeakMap<TicketRow, number>();
  /** Whether a row passes the current filter (forgotten when the filter changes). */
  private matches = new WeakMap<TicketRow, boolean>();
  private pending: Pending | undefined;
  /** A build under way is reading the whole board. */
  private readingAll = false;
  /** Statuses to regroup whatever the rows did (the filter or the hiding of empty groups changed). */
  private regroupAll = false;
  /** The next build fires even when nothing shown changed (a new board or filter). */
  private force = false;
  /** The groups are of another board or filter: reading them finishes the build under way first. */
  private stale = false;
  private job: SlicedJob | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly changed = new Emitter<TicketTreeChange>();
  /** Fires after the groups were rebuilt with something new to show. */
  readonly onDidChange: Event<TicketTreeChange> = this.changed.event;

  constructor(private readonly coalesceMs = 200) {}

  get hasBoard(): boolean {
    return this.board !== undefined;
  }

  get filter(): TicketFilterSpec | undefined {
    return this.filterSpec;
  }

  get filterText(): string | undefined {
    return this.filterSpec ? formatTicketFilter(this.filterSpec) : undefined;
  }

  get statusGroups(): readonly StatusGroup[] {
    if (this.stale) this.job?.finishNow();
    return this.groups;
  }

  /** True while the groups are of another board or filter and their build runs: `built` says when it ends. */
  get building(): boolean {
    return this.stale && this.job?.running === true;
  }

  /** Settles when no build is under way. */
  async built(): Promise<void> {
    while (this.job?.running === true) await this.job.done;
  }

  /**
   * The row of one ticket as last built, or undefined when it is filtered out or gone (or not
   * read yet: a build under way fires when it ends). Unlike statusGroups it never finishes a
   * build at once, so the marks and tooltips asked for while a big board builds cost nothing.
   */
  row(ticketId: string): TicketRow | undefined {
    const row = this.rows.get(ticketId);
    return row !== undefined && this.matchesFilter(row) ? row : undefined;
  }

  setBoard(board: Board | undefined): void {
    this.boardSubscription?.dispose();
    this.boardSubscription = undefined;
    this.board = board;
    if (board) this.boardSubscription = board.onDidChange((change) => {
        // Lease renewals and agent states change nothing this view shows.
        if (change.noTickets) return;
        this.note(change.ticketIds.length === 0 ? 'all' : change.ticketIds);
        this.schedule();
      });
    this.job?.cancel();
    this.job = undefined;
    this.readingAll = false;
    this.view = emptyView();
    this.rows = new Map();
    this.pending = 'all';
    this.regroupAll = true;
    this.rebuild(true);
  }

  setFilter(filter: TicketFilterSpec | undefined): void {
    this.filterSpec = filter;
    this.matches = new WeakMap();
    this.regroupAll = true;
    this.rebuild(true);
  }

  /** Leaves status groups without tickets out (agentFactory.tickets.hideEmptyGroups). */
  setHideEmptyGroups(hide: boolean): void {
    if (hide === this.hideEmpty) return;
    this.hideEmpty = hide;
    this.regroupAll = true;
    this.rebuild(true);
  }

  /** Asks for a refresh; several requests within `coalesceMs` become one. */
  schedule(): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.rebuild(false);
    }, this.coalesceMs);
  }

  /**
   * Rebuilds now, in one go (and cancels a pending coalesced refresh). Fires only when something
   * shown changed, unless `force` (a new board or filter).
   */
  refreshNow(force = false): void {
    this.job?.finishNow();
    this.rebuild(force);
    this.job?.finishNow();
  }

  /**
   * Starts a build of what changed since the last one, running its first slice now. A build under
   * way is left to end, and this one waits for the next coalescing delay (changes arriving faster
   * than a big board builds must not keep restarting it), unless `force`: then the new board or
   * filter takes over at once, and what the build under way had not done yet is done by the new one.
   */
  private rebuild(force: boolean): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.job?.running === true && !force) {
      this.schedule();
      return;
    }
    this.force ||= force;
    if (force) this.stale = true;
    if (this.job?.running === true) {
      this.job.cancel();
      // What the cancelled build took on is done by this one: a full read it had not finished, and every group.
      if (this.readingAll) this.note('all');
      this.readingAll = false;
      this.regroupAll = true;
    }
    const pending = this.pending ?? new Set<string>();
    this.pending = undefined;
    // A build that fails in a later slice (the board closed under it) leaves the groups as they were; the next build reads afresh.
    const job = new SlicedJob(this.build(pending), () => this.note('all'));
    this.job = job;
    job.start();
  }

  private note(ids: readonly string[] | 'all'): void {
    if (ids === 'all' || this.pending === 'all') {
      this.pending = 'all';
      return;
    }
    this.pending ??= new Set();
    for (const id of ids) this.pending.add(id);
  }

  private *build(pending: Pending): Generator<void, void, undefined> {
    const board = this.board;
    const touched = new Set<Status>();
    try {
      if (!board) {
        this.view = emptyView();
        this.rows = new Map();
      } else if (pending === 'all') {
        this.readingAll = true;
        yield* this.readAll(board, touched);
        this.readingAll = false;
      } else if (pending.size > 0) {
        this.readSome(board, pending, touched);
      }
    } catch (err) {
      // Whatever was not read yet is read by the next build.
      this.readingAll = false;
      this.note(pending === 'all' ? 'all' : [...pending]);
      throw err;
    }
    const statuses = this.regroupAll ? new Set<Status>(STATUSES) : touched;
    this.regroupAll = false;
    yield* this.regroup(statuses);
    this.commit(statuses);
  }

  /** Reads the whole board, a page of tickets per slice. */
  private *readAll(board: Board, touched: Set<Status>): Generator<void, void, undefined> {
    const running = runningByTicket(board.listRuns({ status: 'running' }));
    const recorded = board.listChangedFiles();
    const changes = new Map<string, RecordedChange[]>();
    for (const r of recorded) {
      const list = changes.get(r.ticketId);
      if (list) list.push(r);
      else changes.set(r.ticketId, [r]);
    }
    const overlaps = overlapsByTicket(recorded);
    yield;
    const tickets = new Map<string, Ticket>();
    const checkIns = new Map<string, CheckIn>();
    for (let after = 0; ; ) {
      const page = board.readTickets({}, { afterNumber: after, limit: PAGE });
      for (const t of page) tickets.set(t.id, t);
      for (const [id, checkIn] of board.latestCheckIns(page.map((t) => t.id))) checkIns.set(id, checkIn);
      if (page.length < PAGE) break;
      after = ticketNumber(page[page.length - 1].id);
      yield;
    }
    this.view = { tickets, checkIns, changes, overlaps, running };
    const before = this.rows;
    const rows = new Map<string, TicketRow>();
    let made = 0;
    for (const ticket of tickets.values()) {
      const old = before.get(ticket.id);
      const row = this.makeRow(ticket);
      // An unchanged row keeps its identity, so the view keeps what it made of it.
      const same = old !== undefined && old.ticket === ticket && this.signatureOf(old) === this.signatureOf(row);
      rows.set(ticket.id, same ? old : row);
      if (!same) {
        touched.add(ticket.status);
        if (old) touched.add(old.ticket.status);
      }
      if (++made % PAGE === 0) yield;
    }
    for (const [id, old] of before) if (!tickets.has(id)) touched.add(old.ticket.status);
    this.rows = rows;
  }

  /** Reads the tickets a change named, and makes again every row whose look may follow from them. */
  private readSome(board: Board, ids: ReadonlySet<string>, touched: Set<Status>): void {
    const { view } = this;
    let filesChanged = false;
    for (const id of ids) {
      const ticket = board.getTicket(id);
      const hadFiles = view.changes.has(id);
      view.tickets.delete(id);
      view.checkIns.delete(id);
      view.changes.delete(id);
      if (ticket) {
        view.tickets.set(id, ticket);
        const checkIn = board.latestCheckIn(id);
        if (checkIn) view.checkIns.set(id, checkIn);
        const files = board.listChangedFiles(id);
        if (files.length > 0) view.changes.set(id, files);
      }
      filesChanged ||= hadFiles || view.changes.has(id);
    }
    const remake = new Set(ids);
    const running = runningByTicket(board.listRuns({ status: 'running' }));
    for (const id of new Set([...running.keys(), ...view.running.keys()])) {
      if (!sameJson(running.get(id), view.running.get(id))) remake.add(id);
    }
    view.running = running;
    if (filesChanged) {
      const overlaps = overlapsByTicket([...view.changes.keys()].sort().flatMap((id) => view.changes.get(id) ?? []));
      for (const id of new Set([...overlaps.keys(), ...view.overlaps.keys()])) {
        if (!sameJson(overlaps.get(id), view.overlaps.get(id))) remake.add(id);
      }
      view.overlaps = overlaps;
    }
    // What a ticket waits on follows the status of the tickets it depends on.
    for (const row of this.rows.values()) {
      if (row.ticket.dependsOn.some((dep) => ids.has(dep))) remake.add(row.ticket.id);
    }
    for (const id of remake) {
      const old = this.rows.get(id);
      const ticket = view.tickets.get(id);
      if (old) touched.add(old.ticket.status);
      if (!ticket) {
        this.rows.delete(id);
        continue;
      }
      const row = this.makeRow(ticket);
      this.rows.set(id, row);
      // A row's signature leaves its status out: the group it is in shows that.
      if (!old || old.ticket.status !== ticket.status || this.signatureOf(old) !== this.signatureOf(row)) touched.add(ticket.status);
    }
  }

  private makeRow(ticket: Ticket): TicketRow {
    const { view } = this;
    const changes = view.changes.get(ticket.id);
    return {
      ticket,
      progress: ticketProgress(ticket, view.checkIns.get(ticket.id), view.running.get(ticket.id) ?? []),
      waitingOn: ticket.dependsOn.length > 0 ? unmetDependencies(ticket, (id) => view.tickets.get(id)) : undefined,
      changes: changes ? changeTotals(changes) : undefined,
      overlaps: view.overlaps.get(ticket.id),
    };
  }

  /** The groups of `statuses` made again from the rows, a page of rows per slice. */
  private *regroup(statuses: ReadonlySet<Status>): Generator<void, void, undefined> {
    if (statuses.size === 0) return;
    const buckets = new Map<Status, TicketRow[]>([...statuses].map((s) => [s, []]));
    let seen = 0;
    for (const row of this.rows.values()) {
      const bucket = buckets.get(row.ticket.status);
      if (!bucket) continue;
      bucket.push(row);
      // Worked out here, a page at a time, rather than all at once when sorting a group.
      this.matchesFilter(row);
      this.orderOf(row);
      if (++seen % PAGE === 0) yield;
    }
    for (const [status, all] of buckets) {
      const rows: TicketRow[] = [];
      for (const row of all) if (this.matchesFilter(row)) rows.push(row);
      rows.sort((a, b) => this.orderOf(a) - this.orderOf(b));
      this.groupByStatus.set(status, { status, rows, total: all.length });
      yield;
    }
  }

  /** Shows the groups; fires for the ones whose look changed (or for all of them, when the groups came or went or `force`). */
  private commit(statuses: ReadonlySet<Status>): void {
    const changed: Status[] = [];
    for (const status of STATUSES.filter((s) => statuses.has(s))) {
      const group = this.groupByStatus.get(status);
      if (!this.shownGroups.has(status) || !this.looksSame(this.shownGroups.get(status), group)) changed.push(status);
      this.shownGroups.set(status, group);
    }
    // An empty board gets no groups at all, so the view shows its welcome content instead.
    const all = STATUSES.map((s) => this.groupByStatus.get(s) ?? { status: s, rows: [], total: 0 });
    const groups = this.rows.size === 0 ? [] : all.filter((g) => !this.hideEmpty || g.total > 0);
    const cameOrWent = groups.map((g) => g.status).join() !== this.groups.map((g) => g.status).join();
    this.groups = groups;
    this.stale = false;
    const force = this.force;
    this.force = false;
    if (force || cameOrWent) this.changed.fire({});
    else if (changed.length > 0) this.changed.fire({ statuses: changed });
  }

  /**
   * Whether two builds of a group look the same: the same count, and row by row the same row or one
   * with the same signature. A row the rebuild kept is the same object, so comparing a group of
   * thousands costs a pass of identity checks, not a signature per row.
   */
  private looksSame(a: StatusGroup | undefined, b: StatusGroup | undefined): boolean {
    if (a === undefined || b === undefined) return a === b;
    if (a.total !== b.total || a.rows.length !== b.rows.length) return false;
    for (let i = 0; i < a.rows.length; i++) {
      const x = a.rows[i];
      const y = b.rows[i];
      if (x !== y && this.signatureOf(x) !== this.signatureOf(y)) return false;
    }
    return true;
  }

  private signatureOf(row: TicketRow): string {
    let signature = this.signatures.get(row);
    if (signature === undefined) this.signatures.set(row, (signature = rowSignature(row)));
    return signature;
  }

  private orderOf(row: TicketRow): number {
    let order = this.orders.get(row);
    if (order === undefined) this.orders.set(row, (order = rowOrder(row)));
    return order;
  }

  private matchesFilter(row: TicketRow): boolean {
    let match = this.matches.get(row);
    if (match === undefined) this.matches.set(row, (match = matchesTicketFilter(row.ticket, this.filterSpec)));
    return match;
  }

  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.job?.cancel();
    this.job = undefined;
    this.boardSubscription?.dispose();
    this.boardSubscription = undefined;
    this.board = undefined;
    this.changed.dispose();
  }
}

function runningByTicket(runs: readonly Run[]): Map<string, Run[]> {
  const byTicket = new Map<string, Run[]>();
  for (const run of runs) {
    const list = byTicket.get(run.ticketId);
    if (list) list.push(run);
    else byTicket.set(run.ticketId, [run]);
  }
  return byTicket;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
