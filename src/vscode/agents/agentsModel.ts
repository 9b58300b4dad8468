import * as vscode from 'vscode';
import type { AgentManager, AgentStatus } from '../../agents/manager';
import { parsePmReport, PM_REPORT_META, type PmReport } from '../../agents/pm/report';
import { parseWorktreeReport, WORKTREE_REPORT_META, type WorktreeReportEntry } from '../../agents/worktreeAgent';
import type { Run } from '../../domain/run';
import { liveLandQueue, type LandQueueEntry } from '../../land/landQueue';
import type { Attention } from '../../loop/attention';
import { readBoardStatus, type BoardStatus } from '../../loop/boardStatus';
import type { StageConfig } from '../../loop/stageHandling';
import type { Board } from '../../store/api';
import type { AttentionModel } from '../attention/attentionModel';
import { Disposable } from '../util/disposable';
import { quietState } from './quietState';

/**
 * What the Agents view and the status bar show: agent statuses, live runs, the PM's and the
 * Worktree agent's last reports. Changes are coalesced so a burst of store events or status
 * updates costs at most a few refreshes per second.
 */
export class AgentsModel extends Disposable {
  private readonly changed = this._register(new vscode.EventEmitter<void>());
  readonly onDidChange = this.changed.event;
  private board: Board | undefined;
  private manager: AgentManager | undefined;
  private pending: ReturnType<typeof setTimeout> | undefined;
  private readonly bindings = this._register(new DisposableStore());
  private orphanRuns: Run[] = [];
  private orphanLook: Promise<void> | undefined;
  private orphanAgain = false;
  /** The board's status line as of the last change (see boardStatus). */
  private status: BoardStatus | undefined;
  /**
   * The board's reports as of the last change, each parsed on first use after it: one refresh of
   * the view asks for the PM's report once per run row, and VS Code asks again when it fetches the
   * rows. (The runs themselves the store keeps until the board changes.)
   */
  private reads = new Map<string, unknown>();
  /** What a write touching no ticket could change of what is shown, as last seen. */
  private quiet: string | undefined;
  /** Shown when the agents cannot run here at all (untrusted workspace, no board). */
  note: string | undefined;
  /** The stages and their agents, for the "waiting for review" count; none until the window sets it. */
  set stages(stages: StageConfig | undefined) {
    this.attentionModel.setStages(stages);
  }

  /**
   * @param attentionModel what needs a person on the board (one list for the status bar and the views)
   * @param findOrphans looks up this board's orphaned agents (an async look at the process table)
   */
  constructor(
    private readonly attentionModel: AttentionModel,
    private readonly findOrphans: (board: Board) => Promise<Run[]> = async () => [],
    private readonly coalesceMs = 250,
    /** When a land whose process stopped heartbeating no longer counts (`board.leaseTimeoutSeconds`). */
    private readonly leaseTimeoutMs: () => number = () => 30_000,
  ) {
    super();
    this._register(attentionModel.onDidChange(() => this.scheduleRefresh()));
  }

  bind(board: Board | undefined, manager: AgentManager | undefined): void {
    this.bindings.clear();
    this.status = undefined;
    this.reads.clear();
    this.board = board;
    this.manager = manager;
    this.orphanRuns = [];
    this.attentionModel.setOrphans(0);
    this.quiet = board && quietState(board);
    if (board) {
      this.bindings.add(
        board.onDidChange((change) => {
          if (change.noTickets) {
            // Orphans are runs, which such a write leaves alone; most of these writes are lease
            // renewals, which change nothing shown.
            const quiet = quietState(board);
            if (quiet === this.quiet) return;
            this.quiet = quiet;
          } else {
            void this.refreshOrphans();
          }
          this.scheduleRefresh();
        }),
      );
    }
    if (manager) this.bindings.add(manager.onDidChangeStatus(() => this.scheduleRefresh()));
    this.scheduleRefresh();
    void this.refreshOrphans();
  }

  /** Agents of this board that run on here with their owner (a window or host) gone. */
  orphans(): Run[] {
    return this.orphanRuns;
  }

  /**
   * Looks for orphans again (on binding, when the board changes, after a Stop): one look at a time,
   * and one more after it when asked meanwhile.
   */
  refreshOrphans(): Promise<void> {
    if (this.orphanLook) {
      this.orphanAgain = true;
      return this.orphanLook;
    }
    const board = this.board;
    if (!board || this.isDisposed) return Promise.resolve();
    this.orphanLook = this.findOrphans(board)
      .then((found) => {
        if (this.board !== board) return;
        const changed = found.map((r) => r.id).join() !== this.orphanRuns.map((r) => r.id).join();
        this.orphanRuns = found;
        if (changed) {
          this.attentionModel.setOrphans(found.length);
          this.scheduleRefresh();
        }
      })
      .catch(() => undefined)
      .finally(() => {
        this.orphanLook = undefined;
        if (this.orphanAgain) {
          this.orphanAgain = false;
          void this.refreshOrphans();
        }
      });
    return this.orphanLook;
  }

  get hasBoard(): boolean {
    return this.board !== undefined;
  }

  statuses(): AgentStatus[] {
    return this.manager?.statuses() ?? [];
  }

  runs(): readonly Run[] {
    return this.board?.listRuns({ status: ['running', 'queued'] }) ?? [];
  }

  /** Every run of a ticket, ended ones too (for its token total). */
  runsOfTicket(ticketId: string): readonly Run[] {
    return this.board?.listRuns({ ticketId }) ?? [];
  }

  pmReport(): PmReport | undefined {
    return this.read('pmReport', (board) => parsePmReport(board.getMeta(PM_REPORT_META)));
  }

  /** Agents' health, what needs a person, the autopilot and the queue; undefined without a board. */
  boardStatus(): BoardStatus | undefined {
    const board = this.board;
    if (!board) return undefined;
    // Read once per change: the status bar and the Agents view both ask on every refresh, and
    // the queue sorts every READY ticket.
    this.status ??= readBoardStatus(board, this.statuses(), this.attentionModel.current);
    return this.status;
  }

  attention(): Attention {
    return this.attentionModel.current;
  }

  /** The board's land queue: the land in progress, then those waiting, in order. */
  lands(): LandQueueEntry[] {
    return this.board ? liveLandQueue(this.board, Date.now(), this.leaseTimeoutMs()) : [];
  }

  worktrees(): readonly WorktreeReportEntry[] {
    return this.read('worktrees', (board) => parseWorktreeReport(board.getMeta(WORKTREE_REPORT_META))?.entries) ?? [];
  }

  /** `read` of the board as of the last change: read once, then kept until the next change. */
  private read<T>(key: string, read: (board: Board) => T): T | undefined {
    const board = this.board;
    if (!board) return undefined;
    if (!this.reads.has(key)) this.reads.set(key, read(board));
    return this.reads.get(key) as T;
  }

  scheduleRefresh(): void {
    // Whatever asked for a refresh may change the board's status line and what the view reads.
    this.status = undefined;
    this.reads.clear();
    if (this.pending || this.isDisposed) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      this.changed.fire();
    }, this.coalesceMs);
  }

  override dispose(): void {
    if (this.pending) clearTimeout(this.pending);
    this.pending = undefined;
    super.dispose();
  }
}

/** A set of disposables that can be emptied and refilled. */
export class DisposableStore implements vscode.Disposable {
  private items: { dispose(): void }[] = [];
  add(d: { dispose(): void }): void {
    this.items.push(d);
  }
  clear(): void {
    for (const d of this.items.splice(0)) d.dispose();
  }
  dispose(): void {
    this.clear();
  }
}
