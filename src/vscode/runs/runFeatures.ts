/**
 * The runs feature in the editor: Start Ticket and Cancel Run, the coding agents' output channel,
 * terminals for stages without an agent, and the runner's lifetime (one RunManager per open board,
 * shut down before the board closes).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Logger } from '../../agents/agent';
import { errorMessage, FactoryError } from '../../domain/errors';
import { isTicketId } from '../../domain/ids';
import { isLive, type Run } from '../../domain/run';
import { verdictCommands } from '../../domain/pipeline';
import { isActive, isStatus } from '../../domain/status';
import { statusLabel } from '../../domain/vocabulary';
import type { Ticket } from '../../domain/ticket';
import type { GitPort } from '../../git/port';
import { createRunRuntime } from '../../host/runRuntime';
import type { RunManager } from '../../runner/runManager';
import type { StartedRun, TicketRunner } from '../../runner/ticketRunner';
import type { Board } from '../../store/api';
import type { BoardSession } from '../boardSession';
import type { Settings } from '../../settings/settings';
import { Commands, CONFIG_SECTION } from '../constants';
import { oneLine, plainLabel, sentence } from '../document/untrustedText';
import type { PrompterHolder } from '../ui/prompter';
import { restrictedModeError } from '../trust/restrictedMode';
import { Disposable } from '../util/disposable';
import { RunNotices } from './runNotices';
import { RunTerminals } from './runTerminals';

export interface RunFeatureDeps {
  context: vscode.ExtensionContext;
  session: BoardSession;
  config: Settings;
  git: GitPort;
  prompter: PrompterHolder;
  log: Logger;
}

/** What the in-host tests reach through the extension's test API. */
export interface RunTesting {
  runs(): RunManager | undefined;
  runner(): TicketRunner | undefined;
  terminalOf(runId: string): vscode.Terminal | undefined;
  /** The agents' output lines as they were sent to the output channel. */
  readonly outputLines: string[];
}

interface RunPickItem extends vscode.QuickPickItem {
  runId: string;
}

interface TicketPickItem extends vscode.QuickPickItem {
  ticketId: string;
}

const OUTPUT_LINES_KEPT = 500;

export class RunFeatures extends Disposable {
  private manager: RunManager | undefined;
  private runner: TicketRunner | undefined;
  private boardSubscriptions: vscode.Disposable[] = [];
  private switching: Promise<void> = Promise.resolve();
  /** The window is closing: the runner was handed to the ordered shutdown. */
  private released = false;
  private readonly terminals: RunTerminals;
  private readonly output: vscode.OutputChannel;
  private readonly outputLines: string[] = [];
  readonly testing: RunTesting;

  constructor(private readonly deps: RunFeatureDeps) {
    super();
    this.output = this._register(vscode.window.createOutputChannel('Agent Factory: Agent Output'));
    this.terminals = this._register(new RunTerminals(() => this.manager, deps.log));
    this._register(deps.session.onDidChangeBoard((board) => void this.useBoard(board)));
    this._register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(`${CONFIG_SECTION}.runs.maxParallel`)) this.manager?.setMaxParallel(this.maxParallel());
      }),
    );
    this._register(vscode.commands.registerCommand(Commands.StartTicket, (arg: unknown) => this.startTicketCommand(arg)));
    this._register(vscode.commands.registerCommand(Commands.CancelRun, (arg: unknown) => this.cancelRunCommand(arg)));
    void this.useBoard(deps.session.board);
    this.testing = {
      runs: () => this.manager,
      runner: () => this.runner,
      terminalOf: (runId) => this.terminals.terminalOf(runId),
      outputLines: this.outputLines,
    };
  }

  /** This window's runner, while a board is open. */
  get runs(): RunManager | undefined {
    return this.manager;
  }

  /** This window's ticket runner (starts and stages), while a board is open. */
  get ticketRunner(): TicketRunner | undefined {
    return this.runner;
  }

  /**
   * Hands this window's runner over to the ordered shutdown (runs, then the agents, then the
   * board) and stops using it. Synchronous up to the point where it waits for a board change in
   * progress, so VS Code's disposal right after `deactivate` finds nothing left to tear down.
   */
  release(): Promise<RunManager | undefined> {
    this.released = true;
    // The output channel and terminals go with the window: stop feeding them now.
    for (const d of this.boardSubscriptions.splice(0)) d.dispose();
    return this.switching.then(() => {
      const manager = this.manager;
      this.manager = undefined;
      this.runner = undefined;
      return manager;
    });
  }

  private maxParallel(): number {
    return this.deps.config.maxParallel();
  }

  private useBoard(board: Board | undefined): Promise<void> {
    this.switching = this.switching.then(async () => {
      if (this.released) return;
      await this.teardown();
      if (board && !this.isDisposed && !this.released) this.setUp(board);
    });
    return this.switching;
  }

  private setUp(board: Board): void {
    const { deps } = this;
    const { runs: manager, runner, reader, watch } = createRunRuntime({
      board,
      settings: deps.config,
      git: deps.git,
      log: deps.log,
      cli: { nodePath: process.execPath, script: path.join(deps.context.extensionPath, 'dist', 'cli.js') },
      isTrusted: () => vscode.workspace.isTrusted,
      openTerminal: (started, ticket) => {
        this.terminals.open(started, ticket);
      },
    });
    this.boardSubscriptions = [
      manager.onDidOutput((l) => this.appendOutput(`[${l.ticketId} ${l.runId}] ${l.line}`)),
      manager.onDidEndRun((e) => {
        this.terminals.runEnded(e.run.id, e.run.status);
        const exit = e.run.exitCode !== undefined ? ` (exit ${e.run.exitCode})` : '';
        this.appendOutput(`[${e.run.ticketId} ${e.run.id}] ${e.run.stage} run ${e.run.status}${exit}${e.advancedTo ? `; ticket moved to ${e.advancedTo}` : ''}`);
      }),
      runner,
      new RunNotices(board, watch, manager, deps.prompter, deps.log),
      watch,
      reader,
    ];
    this.manager = manager;
    this.runner = runner;
  }

  private async teardown(): Promise<void> {
    const manager = this.manager;
    this.manager = undefined;
    this.runner = undefined;
    for (const d of this.boardSubscriptions.splice(0)) d.dispose();
    if (manager) await manager.shutdown();
  }

  private appendOutput(line: string): void {
    this.output.appendLine(line);
    this.outputLines.push(line);
    if (this.outputLines.length > OUTPUT_LINES_KEPT) this.outputLines.splice(0, this.outputLines.length - OUTPUT_LINES_KEPT);
  }

  // ---- commands ------------------------------------------------------------------------------

  /** Start Ticket: a tree item, a ticket id, or nothing (then it asks). Resolves with the run. */
  private async startTicketCommand(arg: unknown): Promise<StartedRun | undefined> {
    const prompter = this.deps.prompter.current;
    if (!vscode.workspace.isTrusted) {
      void prompter.warning(restrictedModeError('Start Ticket').message, {});
      return undefined;
    }
    await this.switching;
    const board = this.deps.session.board;
    const runner = this.runner;
    if (!board || !runner) {
      void prompter.warning('No board is open in this window. Create one from the Tickets view first.', {});
      return undefined;
    }
    const ticket = await this.ticketToStart(board, arg);
    if (!ticket) return undefined;
    try {
      const started = await runner.startTicket(ticket.id);
      if (started.kind === 'terminal') {
        const finish = (isStatus(started.run.stage) ? verdictCommands(started.run.stage) : ['agent-factory done']).map((c) => `"${c}"`).join(' or ');
        void prompter.info(`${ticket.id}: no agent is configured for ${started.run.stage}, so a terminal opened in its worktree. Run ${finish} there when the stage is finished.`);
      } else if (started.queuePosition !== undefined) {
        void prompter.info(`${ticket.id}: queued at position ${started.queuePosition}; ${this.manager?.runningCount ?? 0} agents are already running.`);
      } else {
        void prompter.info(`${ticket.id}: ${started.run.agent} started on ${started.run.stage}.`);
      }
      return started;
    } catch (err) {
      const message = err instanceof FactoryError ? err.message : `could not start ${ticket.id}: ${errorMessage(err)}`;
      this.deps.log.warn(`Start Ticket: ${message}`);
      void prompter.warning(sentence(message), {});
      return undefined;
    }
  }

  private async ticketToStart(board: Board, arg: unknown): Promise<Ticket | undefined> {
    const prompter = this.deps.prompter.current;
    const id = idFrom(arg, 'ticketId');
    if (id !== undefined) {
      const ticket = isTicketId(id) ? board.getTicket(id) : undefined;
      if (!ticket) void prompter.warning(`There is no ticket ${plainLabel(id).slice(0, 40)} on this board.`, {});
      return ticket;
    }
    const live = new Set(board.listRuns({ status: ['queued', 'running'] }).map((r) => r.ticketId));
    const items: TicketPickItem[] = board
      .listTickets()
      .filter((t) => (t.status === 'READY' || isActive(t.status)) && !live.has(t.id))
      .sort((a, b) => a.priority - b.priority || a.createdAt - b.createdAt)
      .map((t) => ({ label: `${t.id} ${plainLabel(t.title)}`, description: t.status === 'READY' ? 'Ready' : `retry ${statusLabel(t.status)}`, ticketId: t.id }));
    if (items.length === 0) {
      void prompter.info('No ticket is ready to start (move one to READY first).');
      return undefined;
    }
    const picked = await prompter.quickPick(items, { placeHolder: 'Start which ticket?', matchOnDescription: true });
    return picked ? board.getTicket(picked.ticketId) : undefined;
  }

  /** Cancel Run: a run item of the Agents view, a run id, or nothing (then it asks). */
  private async cancelRunCommand(arg: unknown): Promise<Run | undefined> {
    const prompter = this.deps.prompter.current;
    if (!vscode.workspace.isTrusted) {
      void prompter.warning(restrictedModeError('Cancel Run').message, {});
      return undefined;
    }
    await this.switching;
    const board = this.deps.session.board;
    const manager = this.manager;
    if (!board || !manager) {
      void prompter.warning('No board is open in this window.', {});
      return undefined;
    }
    let runId = idFrom(arg, 'runId') ?? (isRunNode(arg) ? arg.run.id : undefined);
    if (runId === undefined) {
      const items: RunPickItem[] = board
        .listRuns({ status: ['queued', 'running'] })
        .sort((a, b) => a.startedAt - b.startedAt)
        .map((r) => ({ label: `${r.ticketId} ${isStatus(r.stage) ? statusLabel(r.stage) : plainLabel(r.stage)}`, description: `${r.status} · ${plainLabel(r.agent)} · ${r.id}`, runId: r.id }));
      if (items.length === 0) {
        void prompter.info('No run is queued or running.');
        return undefined;
      }
      runId = (await prompter.quickPick(items, { placeHolder: 'Cancel which run?' }))?.runId;
      if (runId === undefined) return undefined;
    }
    const run = board.getRun(runId);
    if (!run || !isLive(run)) {
      void prompter.info(`Run ${oneLine(runId).slice(0, 40)} is not running.`);
      return run;
    }
    const elsewhere = manager.owns(run.id) || run.owner === board.ownerId ? '' : ' (the window running it stops its agent)';
    try {
      const ended = await manager.cancel(run.id);
      void prompter.info(`Run ${run.id} of ${run.ticketId} cancelled${elsewhere}.`);
      return ended;
    } catch (err) {
      void prompter.warning(`Could not cancel run ${run.id}: ${errorMessage(err)}`, {});
      return undefined;
    }
  }

  override dispose(): void {
    // After `release` the ordered shutdown owns the runner; otherwise nothing else will stop it.
    if (!this.released) void this.teardown();
    super.dispose();
  }
}

export function registerRunFeatures(deps: RunFeatureDeps): RunFeatures {
  return new RunFeatures(deps);
}

function idFrom(arg: unknown, key: 'ticketId' | 'runId'): string | undefined {
  if (typeof arg === 'string') return arg.trim();
  if (typeof arg === 'object' && arg !== null && key in arg) {
    const value = (arg as Record<string, unknown>)[key];
    if (typeof value === 'string') return value;
  }
  return undefined;
}

function isRunNode(arg: unknown): arg is { kind: 'run'; run: Run } {
  return typeof arg === 'object' && arg !== null && (arg as { kind?: unknown }).kind === 'run' && typeof (arg as { run?: { id?: unknown } }).run?.id === 'string';
}
