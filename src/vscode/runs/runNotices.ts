/**
 * Tells the person what the run watch and the agents' hooks found: one notification per run that
 * needs input (whoever noticed it: this window's watch, or a hook through the CLI, seen as a board
 * change), with "Open Terminal" (in the run's worktree, with the run's environment) and "Show
 * Log"; and one per loop and per budget reached. Agent text in them is one plain line.
 */
import * as vscode from 'vscode';
import type { Logger } from '../../agents/agent';
import { errorMessage } from '../../domain/errors';
import type { Run } from '../../domain/run';
import { runsNeedingInput } from '../../domain/runAttention';
import { runLogFile } from '../../runner/runFiles';
import type { RunManager } from '../../runner/runManager';
import type { RunNotice, RunWatch } from '../../runner/runWatch';
import type { Board } from '../../store/api';
import { oneLine } from '../document/untrustedText';
import type { PrompterHolder } from '../ui/prompter';

const OPEN_TERMINAL = 'Open Terminal';
const SHOW_LOG = 'Show Log';

export class RunNotices implements vscode.Disposable {
  private readonly told = new Set<string>();
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    private readonly board: Board,
    watch: RunWatch,
    private readonly manager: RunManager,
    private readonly prompter: PrompterHolder,
    private readonly log: Logger,
  ) {
    this.subscriptions = [
      watch.onDidNotice((n) => this.notice(n)),
      // A run's request for a person is a write of the run: leases and agent states carry none.
      board.onDidChange((change) => {
        if (!change.noTickets) this.checkBoard();
      }),
    ];
    this.checkBoard();
  }

  private checkBoard(): void {
    for (const run of runsNeedingInput(this.board.listRuns({ status: ['queued', 'running'] }))) {
      this.needsInput(run, run.attention?.needsInput?.reason ?? '');
    }
  }

  private notice(n: RunNotice): void {
    if (n.kind === 'needs-input') return this.needsInput(n.run, n.reason);
    const what =
      n.kind === 'loop'
        ? `${n.run.ticketId}: the ${n.run.stage} agent repeats itself (${oneLine(n.evidence).slice(0, 160)}); the run is marked stalled.`
        : `${n.run.ticketId}: run ${n.run.id} was stopped and the ticket BLOCKED: ${oneLine(n.reason).slice(0, 200)}.`;
    this.show(`${n.kind}:${n.run.id}`, what, n.run);
  }

  private needsInput(run: Run, reason: string): void {
    this.show(`needs-input:${run.id}`, `${run.ticketId}: the ${run.stage} agent needs input: ${oneLine(reason).slice(0, 200)}`, run);
  }

  /** Once per key for the life of this board in this window. */
  private show(key: string, message: string, run: Run): void {
    if (this.told.has(key)) return;
    this.told.add(key);
    const actions = run.worktree ? [OPEN_TERMINAL, SHOW_LOG] : [SHOW_LOG];
    void this.ask(message, run, actions).catch((err: unknown) => this.log.warn(`Could not show a notice: ${errorMessage(err)}`));
  }

  private async ask(message: string, run: Run, actions: string[]): Promise<void> {
    const choice = await this.prompter.current.warning(`Agent Factory: ${message}`, {}, ...actions);
    if (choice === OPEN_TERMINAL) await this.openTerminal(run);
    else if (choice === SHOW_LOG) await this.showLog(run);
  }

  private async openTerminal(run: Run): Promise<void> {
    const env = await this.manager.agentEnvironment(run);
    const terminal = vscode.window.createTerminal({ name: `${run.ticketId} ${run.stage}`, cwd: run.worktree, env: env });
    terminal.show();
  }

  private async showLog(run: Run): Promise<void> {
    try {
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(run.logFile ?? runLogFile(this.board.dir, run.id)));
      await vscode.window.showTextDocument(doc, { preview: true });
    } catch (err) {
      void this.prompter.current.warning(`Agent Factory: could not open the log of run ${run.id}: ${errorMessage(err)}`, {});
    }
  }

  dispose(): void {
    for (const s of this.subscriptions.splice(0)) s.dispose();
  }
}
