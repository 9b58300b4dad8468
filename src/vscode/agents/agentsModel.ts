import * as vscode from 'vscode';
import type { AgentManager, AgentStatus } from '../../agents/manager';
import { parsePmReport, PM_REPORT_META, type PmReport } from '../../agents/pm/report';
import { parseWorktreeReport, WORKTREE_REPORT_META, type WorktreeReportEntry } from '../../agents/worktreeAgent';
import type { Run } from '../../domain/run';
import type { Attention } from '../../loop/attention';
import { readBoardStatus, type BoardStatus } from '../../loop/boardStatus';
import type { Board } from '../../store/api';
import type { AttentionModel } from '../attention/attentionModel';
import { Disposable } from '../util/disposable';

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
  /** Shown when the agents cannot run here at all (untrusted workspace, no board). */
  note: string | undefined;

  constructor(
    private readonly attentionModel: AttentionModel,
    private readonly coalesceMs = 250,
  ) {
    super();
    this._register(attentionModel.onDidChange(() => this.scheduleRefresh()));
  }

  bind(board: Board | undefined, manager: AgentManager | undefined): void {
    this.bindings.clear();
    this.board = board;
    this.manager = manager;
    if (board) this.bindings.add(board.onDidChange(() => this.scheduleRefresh()));
    if (manager) this.bindings.add(manager.onDidChangeStatus(() => this.scheduleRefresh()));
    this.scheduleRefresh();
  }

  get hasBoard(): boolean {
    return this.board !== undefined;
  }

  statuses(): AgentStatus[] {
    return this.manager?.statuses() ?? [];
  }

  runs(): Run[] {
    return this.board?.listRuns({ status: ['running', 'queued'] }) ?? [];
  }

  pmReport(): PmReport | undefined {
    return parsePmReport(this.board?.getMeta(PM_REPORT_META));
  }

  /** Agents' health, what needs a person, the autopilot and the queue; undefined without a board. */
  boardStatus(): BoardStatus | undefined {
    const board = this.board;
    if (!board) return undefined;
    return readBoardStatus(board, this.statuses(), this.attentionModel.current);
  }

  attention(): Attention {
    return this.attentionModel.current;
  }

  worktrees(): WorktreeReportEntry[] {
    return parseWorktreeReport(this.board?.getMeta(WORKTREE_REPORT_META))?.entries ?? [];
  }

  scheduleRefresh(): void {
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
