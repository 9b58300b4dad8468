/**
 * The board's attention list (src/loop/attention.ts) kept current for the editor: rebuilt on
 * board changes (coalesced) and when a run of this window asks for a person. The status bar, the
 * Tickets view's marks and badge and the ticket page read it from here, so they show the same
 * numbers at the same moment. No `vscode` import.
 */
import { parsePmReport, PM_REPORT_META } from '../../agents/pm/report';
import { Emitter, type Disposable, type Event } from '../../domain/event';
import { boardAttention, type Attention, type AttentionItem } from '../../loop/attention';
import type { StageConfig } from '../../loop/stageHandling';
import type { BoardReader, StoreChange } from '../../store/api';

const NOTHING: Attention = {
  items: [],
  counts: { finding: 0, needsInput: 0, stalled: 0, stuck: 0, blocked: 0, waiting: 0, review: 0 },
  criticalFindings: 0,
  orphans: 0,
  tickets: [],
  level: 'ok',
};

export interface AttentionBoard extends BoardReader {
  readonly onDidChange: Event<StoreChange>;
}

export class AttentionModel implements Disposable {
  private board: AttentionBoard | undefined;
  private subscription: Disposable | undefined;
  private attention: Attention = NOTHING;
  private byTicket = new Map<string, AttentionItem[]>();
  private stages: StageConfig | undefined;
  private orphans = 0;
  /** The PM's report as the list was last built from it. */
  private report: string | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly changed = new Emitter<void>();
  readonly onDidChange: Event<void> = this.changed.event;

  constructor(private readonly coalesceMs = 200) {}

  get current(): Attention {
    return this.attention;
  }

  /** What needs a person on one ticket (empty when nothing does). */
  forTicket(ticketId: string): readonly AttentionItem[] {
    return this.byTicket.get(ticketId) ?? [];
  }

  setBoard(board: AttentionBoard | undefined): void {
    this.subscription?.dispose();
    this.board = board;
    this.subscription = board?.onDidChange((change) => {
      // Leases, agent states and the scan cache are most of a quiet board's writes and hold
      // nothing of this list; the PM's report is the one meta value it reads.
      if (change.noTickets && board.getMeta(PM_REPORT_META) === this.report) return;
      this.schedule();
    });
    this.refreshNow();
  }

  /** The stages a person finishes (settings), so tickets waiting there count as waiting for review. */
  setStages(stages: StageConfig | undefined): void {
    this.stages = stages;
    this.refreshNow();
  }

  /** How many of this board's agents have lost their owner (the Agents view finds them). */
  setOrphans(count: number): void {
    if (count === this.orphans) return;
    this.orphans = count;
    this.refreshNow();
  }

  private schedule(): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.refreshNow();
    }, this.coalesceMs);
  }

  refreshNow(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const board = this.board;
    this.report = board?.getMeta(PM_REPORT_META);
    const next = board ? boardAttention(board, { report: parsePmReport(this.report), stages: this.stages, orphans: this.orphans }) : NOTHING;
    if (JSON.stringify(next) === JSON.stringify(this.attention)) return;
    this.attention = next;
    this.byTicket = new Map();
    for (const item of next.items) {
      const list = this.byTicket.get(item.ticketId);
      if (list) list.push(item);
      else this.byTicket.set(item.ticketId, [item]);
    }
    this.changed.fire();
  }

  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.subscription?.dispose();
    this.subscription = undefined;
    this.board = undefined;
    this.changed.dispose();
  }
}
