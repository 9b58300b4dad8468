/**
 * Composition root: builds the pieces of the extension and wires them together. Each feature
 * lives in its own folder; this file only decides who gets what.
 */
import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';
import { AgentManager } from '../agents/manager';
import { installSecurityGate } from '../agents/securityGate';
import { WorktreeAgent } from '../agents/worktreeAgent';
import { systemClock } from '../domain/clock';
import { errorMessage } from '../domain/errors';
import { SimpleGitPort } from '../git/simpleGitPort';
import { createBackgroundAgents } from '../host/backgroundAgents';
import { shutDownInOrder } from '../host/shutdown';
import { localProcessProbe } from '../process/localProbe';
import { stopProcessStarter, useProcessStarter } from '../process/processStarter';
import { StallWatch } from '../process/stallWatch';
import { ConflictRadar } from '../radar/conflictRadar';
import { findOrphans } from '../runner/orphans';
import type { Board } from '../store/api';
import { registerAgentCommands } from './agents/agentCommands';
import type { Autopilot } from '../loop/autopilot';
import { AgentsModel } from './agents/agentsModel';
import { registerConfigureAgent } from './agents/configureAgent';
import { AgentsTreeProvider } from './agents/agentsView';
import { AutopilotCommands } from './agents/autopilotCommands';
import { AgentsStatusBar } from './agents/statusBar';
import { AttentionModel } from './attention/attentionModel';
import { BoardSession } from './boardSession';
import { editorSettings } from './config';
import { Commands, CONFIG_SECTION, Views } from './constants';
import { GitApiSource } from './git/gitApiSource';
import { VsCodeGitPort } from './git/vscodeGitPort';
import { createDiagnosticsPort } from './gatherer/diagnosticsPort';
import { registerLandCommands } from './land/landCommands';
import { registerReviewFeatures, type ReviewTesting } from './review/reviewFeatures';
import { SecurityDiagnostics } from './security/securityDiagnostics';
import { registerTicketFeatures, type TicketTesting } from './tickets/index';
import { PrompterHolder } from './ui/prompter';
import { registerGuardedCommand } from './util/guardedCommand';
import { WindowAutopilot } from './loop/windowAutopilot';
import { registerRunFeatures, type RunTesting } from './runs/runFeatures';
import { RestrictedModeNotice } from './trust/restrictedMode';
import { registerWorktreeCommands } from './worktrees/worktreeCommands';

export interface TestApi {
  session: BoardSession;
  prompter: PrompterHolder;
  manager(): AgentManager | undefined;
  autopilot(): Autopilot | undefined;
  statusBarText(): string;
  statusBarTooltip(): string;
  /** The status bar item's background theme colour id, if any. */
  statusBarBackground(): string | undefined;
  attention: AttentionModel;
  /** What a window reload does to the board: the runs and agents stop, the board closes and opens again. */
  reloadBoard(): Promise<void>;
  /**
   * Stops this window's background agents (the lease released, as when the window closes), runs
   * `meanwhile` (another host may take the lease then), and starts them again.
   */
  restartAgents(meanwhile: () => Promise<void>): Promise<void>;
  agentsModel: AgentsModel;
  agentsTree: AgentsTreeProvider;
  tickets: TicketTesting;
  runs: RunTesting;
  securityDiagnostics: SecurityDiagnostics;
  review: ReviewTesting;
  /**
   * Closes this window's part the way VS Code does when the window closes: `deactivate`, then the
   * subscriptions disposed at once without waiting for it. The extension is gone afterwards.
   */
  closeWindowAsVsCodeDoes(): Promise<void>;
  /** How git is reached: "the editor's Git API", or why not (then simple-git alone). */
  gitApi(): string;
  /** How long this activate() took, from its first line to its result, in ms of wall and of CPU time (the bench prints them). */
  readonly activation: { wallMs: number; cpuMs: number };
  /** Settles once the open activation started is over (a board opened, none found, or it failed). */
  readonly boardOpened: Promise<void>;
}

export interface ExtensionExports {
  /** Only in ExtensionMode.Test: hooks the in-host tests drive the real code through. */
  testing?: TestApi;
}

let closeWindow: (() => Promise<void>) | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<ExtensionExports> {
  const started = performance.now();
  const cpuAtStart = process.cpuUsage();
  // Not in context.subscriptions: closing the window logs until its last step (see closeWindow).
  const log = vscode.window.createOutputChannel('Agent Factory', { log: true });
  // git starts in a small process of ours: a start from the host holds every extension's thread.
  useProcessStarter({ log });
  const config = editorSettings(log, context.subscriptions);
  const prompter = new PrompterHolder();
  const session = new BoardSession(context.extensionUri, log, context.workspaceState);
  // The editor's Git API where it has what we need, simple-git for the rest (and as the fallback).
  // In Restricted Mode neither runs; the API is looked up once the workspace is trusted.
  const git = new VsCodeGitPort(undefined, new SimpleGitPort(), log);
  const gitApi = new GitApiSource(git, log);
  context.subscriptions.push(gitApi);
  // What needs a person, read once for the status bar, the Tickets view and the ticket pages.
  const attention = new AttentionModel();
  context.subscriptions.push(attention);
  const orphanContext = () => ({ probe: localProcessProbe, heartbeatTimeoutMs: config.leaseTimeoutMs(), clock: systemClock });
  const model = new AgentsModel(attention, (board) => findOrphans(board, orphanContext()), undefined, () => config.leaseTimeoutMs());
  const statusBar = new AgentsStatusBar(model);
  const securityDiagnostics = new SecurityDiagnostics();
  const tickets = registerTicketFeatures({ context, session, log, prompter, config, git, attention });
  context.subscriptions.push(session, model, statusBar, securityDiagnostics, tickets);
  const agentsTree = new AgentsTreeProvider(model);
  const agentsView = vscode.window.createTreeView(Views.Agents, { treeDataProvider: agentsTree, showCollapseAll: false });
  agentsTree.visible = () => agentsView.visible;
  context.subscriptions.push(
    agentsTree,
    agentsView,
    agentsView.onDidChangeVisibility((e) => {
      if (e.visible) agentsTree.cameIntoView();
    }),
  );

  const review = registerReviewFeatures({ session, config, prompter, log });
  context.subscriptions.push(review, registerLandCommands({ session, config, prompter, log }));
  const worktreeAgent = new WorktreeAgent({ git, settings: () => config.worktreeSettings(), logger: log, radar: new ConflictRadar() });
  const stallWatch = new StallWatch();
  context.subscriptions.push(stallWatch);
  // Its runner is handed to closeWindow before VS Code disposes it: the runs must be recorded
  // before the board closes.
  const runFeatures = registerRunFeatures({ context, session, config, git, prompter, log });
  const autopilot = new WindowAutopilot({ config, log, git, runner: () => runFeatures.ticketRunner });
  model.stages = config.autopilotSettings();

  let manager: AgentManager | undefined;
  const stopManager = async () => {
    const m = manager;
    manager = undefined;
    autopilot.bind(undefined, undefined);
    model.bind(session.board, undefined);
    if (m) await m.stop();
  };

  const startManager = (board: Board) => {
    if (manager) return;
    if (!vscode.workspace.isTrusted) {
      model.note = 'Restricted Mode: the background agents are off until you trust this workspace';
      model.bind(board, undefined);
      return;
    }
    model.note = undefined;
    const agents = createBackgroundAgents({
      board,
      settings: config,
      git,
      log,
      clock: systemClock,
      probe: localProcessProbe,
      stallWatch,
      runs: () => runFeatures.runs,
      diagnostics: createDiagnosticsPort(),
      worktree: worktreeAgent,
    });
    manager = new AgentManager({ board, clock: systemClock, log, agents, settings: config.managerSettings() });
    model.bind(board, manager);
    manager.start();
    autopilot.bind(board, manager);
  };

  // Closing the window: this window's runs are stopped and recorded, the agents lease released
  // (another window takes over at once, not after the lease timeout), and the board closed last.
  // The first synchronous steps take everything away from the disposals VS Code runs right after
  // calling deactivate, which it does not wait for.
  let closing: Promise<void> | undefined;
  closeWindow = () => {
    closing ??= (() => {
      autopilot.dispose();
      const board = session.release();
      const agents = manager;
      manager = undefined;
      const runs = runFeatures.release();
      return runs
        .then((r) => shutDownInOrder({ runs: r, manager: agents, board }, 'the editor window closed', log))
        .finally(() => {
          stopProcessStarter();
          log.dispose();
        });
    })();
    return closing;
  };
  context.subscriptions.push({ dispose: () => void closeWindow?.() }, runFeatures);

  context.subscriptions.push(
    session.onDidChangeBoard((board) => {
      // Every move out of IN_SEC or into DONE from this window waits for a scan of the change as it is.
      if (board) {
        installSecurityGate(board, {
          git,
          settings: () => config.securitySettings(),
          clock: systemClock,
          log,
          refusal: () => (vscode.workspace.isTrusted ? undefined : 'the workspace is not trusted, so Security does not read it; trust the workspace to move this ticket on'),
        });
      }
      securityDiagnostics.setBoard(board);
      attention.setBoard(board);
      void stopManager().then(() => {
        if (board) startManager(board);
      });
    }),
    // When trust is granted, the session announces its board again (now writable), which starts
    // the agents, and gitApi looks for the Git API.
    new RestrictedModeNotice([agentsView, tickets.treeView]),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(CONFIG_SECTION)) manager?.reschedule();
    }),
    vscode.workspace.onDidChangeWorkspaceFolders(() => {
      if (!session.board) void session.open().catch((err: unknown) => log.error(`Opening the board failed: ${errorMessage(err)}`));
    }),
    registerAgentCommands({ session, config, prompter, log, probe: localProcessProbe, manager: () => manager, model, orphanContext }),
    registerWorktreeCommands({ session, prompter, log, agent: worktreeAgent }),
    registerConfigureAgent({ prompter, log }),
    new AutopilotCommands({ session, prompter, log }),
    registerGuardedCommand(Commands.CreateBoard, log, async () => {
      const { board, created } = await session.create();
      void vscode.window.showInformationMessage(
        created ? `Board created in ${board.dir}` : `There already is a board in ${board.dir}; it is open.`,
      );
    }),
    vscode.commands.registerCommand(Commands.ShowLog, () => log.show()),
    vscode.commands.registerCommand(Commands.OpenBoardFolder, async () => {
      const board = session.board;
      if (!board) return void vscode.window.showInformationMessage('There is no board in this workspace.');
      await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(board.dir));
    }),
  );

  // Neither the git extension starting nor the board opening (reading and replaying a board of
  // thousands of tickets) holds up activation: until the board is open the views show nothing and
  // the git port uses simple-git.
  if (vscode.workspace.isTrusted) void gitApi.lookUp();
  const boardOpened = session.open().then(
    () => log.info(`Board opened ${Math.round(performance.now() - started)} ms after activation began`),
    (err: unknown) => {
      log.error(`Opening the board failed: ${errorMessage(err)}`);
      void vscode.window.showErrorMessage(`Agent Factory could not open the board: ${errorMessage(err)}`);
    },
  );
  const cpu = process.cpuUsage(cpuAtStart);
  const activation = { wallMs: performance.now() - started, cpuMs: (cpu.user + cpu.system) / 1000 };
  log.info(`Agent Factory activated in ${Math.round(activation.wallMs)} ms`);

  if (context.extensionMode !== vscode.ExtensionMode.Test) return {};
  return {
    testing: {
      session,
      prompter,
      manager: () => manager,
      autopilot: () => autopilot.autopilot,
      statusBarText: () => statusBar.text,
      statusBarTooltip: () => statusBar.tooltipText,
      statusBarBackground: () => statusBar.background,
      attention,
      reloadBoard: async () => {
        // The board going away stops this window's runs (RunFeatures follows the session).
        await stopManager();
        await session.reopen();
      },
      restartAgents: async (meanwhile) => {
        await stopManager();
        try {
          await meanwhile();
        } finally {
          if (session.board) startManager(session.board);
        }
      },
      agentsModel: model,
      agentsTree,
      tickets: tickets.testing,
      runs: runFeatures.testing,
      securityDiagnostics,
      review: review.testing,
      closeWindowAsVsCodeDoes: async () => {
        const deactivated = deactivate();
        for (const d of context.subscriptions.splice(0)) d.dispose();
        await deactivated;
      },
      gitApi: () => gitApi.description,
      activation,
      boardOpened,
    },
  };
}

export async function deactivate(): Promise<void> {
  await closeWindow?.();
}
