/**
 * The data behind the Tickets view, separate from its TreeDataProvider: the current board's
 * tickets grouped by status, the filter, and one coalesced change event. Board changes (this
 * window's or another process's) arrive in bursts, so they are folded into one refresh per
 * `coalesceMs`. No `vscode` import: the view is a thin adapter over this.
 */
import { Emitter, type Disposable, type Event } from '../../domain/event';
import { unmetDependencies } from '../../domain/dependencies';
import { changeTotals } from '../../git/changeSummary';
import type { Run } from '../../domain/run';
import { ticketProgress } from '../../loop/ticketProgress';
import { overlapsByTicket } from '../../radar/overlaps';
import type { Board, RecordedChange } from '../../store/api';
import { groupsSignature, groupTickets, type StatusGroup, type TicketRow } from './ticketGroups';
import { formatTicketFilter, type TicketFilterSpec } from './ticketFilter';

export class TicketTreeModel implements Disposable {
  private board: Board | undefined;
  private boardSubscription: Disposable | undefined;
  private filterSpec: TicketFilterSpec | undefined;
  private hideEmpty = false;
  private groups: StatusGroup[] = [];
  private signature = '';
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly changed = new Emitter<void>();
  /** Fires after the groups were rebuilt with something new to show. */
  readonly onDidChange: Event<void> = this.changed.event;

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
    return this.groups;
  }

  /** The row of one ticket as last built, or undefined when it is filtered out or gone. */
  row(ticketId: string): TicketRow | undefined {
    for (const group of this.groups) {
      const row = group.rows.find((r) => r.ticket.id === ticketId);
      if (row) return row;
    }
    return undefined;
  }

  setBoard(board: Board | undefined): void {
    this.boardSubscription?.dispose();
    this.boardSubscription = undefined;
    this.board = board;
    if (board) this.boardSubscription = board.onDidChange((change) => {
        // Lease renewals and agent states change nothing this view shows.
        if (!change.noTickets) this.schedule();
      });
    this.refreshNow(true);
  }

  setFilter(filter: TicketFilterSpec | undefined): void {
    this.filterSpec = filter;
    this.refreshNow(true);
  }

  /** Leaves status groups without tickets out (agentFactory.tickets.hideEmptyGroups). */
  setHideEmptyGroups(hide: boolean): void {
    if (hide === this.hideEmpty) return;
    this.hideEmpty = hide;
    this.refreshNow(true);
  }

  /** Asks for a refresh; several requests within `coalesceMs` become one. */
  schedule(): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.refreshNow();
    }, this.coalesceMs);
  }

  /**
   * Rebuilds now (and cancels a pending coalesced refresh). Fires only when something shown
   * changed, unless `force` (a new board or filter).
   */
  refreshNow(force = false): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.groups = this.build();
    const signature = groupsSignature(this.groups);
    if (!force && signature === this.signature) return;
    this.signature = signature;
    this.changed.fire();
  }

  private build(): StatusGroup[] {
    const board = this.board;
    if (!board) return [];
    const tickets = board.listTickets();
    const byId = new Map(tickets.map((t) => [t.id, t]));
    const recorded = board.listChangedFiles();
    const changes = new Map<string, RecordedChange[]>();
    for (const r of recorded) changes.set(r.ticketId, [...(changes.get(r.ticketId) ?? []), r]);
    const overlaps = overlapsByTicket(recorded);
    const checkIns = board.latestCheckIns();
    const running = new Map<string, Run[]>();
    for (const run of board.listRuns({ status: 'running' })) running.set(run.ticketId, [...(running.get(run.ticketId) ?? []), run]);
    const rows: TicketRow[] = tickets.map((ticket) => ({
      ticket,
      progress: ticketProgress(ticket, checkIns.get(ticket.id), running.get(ticket.id) ?? []),
      waitingOn: ticket.dependsOn.length > 0 ? unmetDependencies(ticket, (id) => byId.get(id)) : undefined,
      changes: changes.has(ticket.id) ? changeTotals(changes.get(ticket.id) ?? []) : undefined,
      overlaps: overlaps.get(ticket.id),
    }));
    return groupTickets(rows, this.filterSpec, this.hideEmpty);
  }

  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.boardSubscription?.dispose();
    this.boardSubscription = undefined;
    this.board = undefined;
    this.changed.dispose();
  }
}
