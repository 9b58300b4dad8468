/**
 * Composition root: builds the pieces of the extension and wires them together. Each feature
 * lives in its own folder; this file only decides who gets what.
 */
import * as vscode from 'vscode';
import type { BackgroundAgent } from '../agents/agent';
import { GathererAgent } from '../agents/gathererAgent';
import { AgentManager } from '../agents/manager';
import { localProcessProbe } from '../agents/pm/liveness';
import { PmAgent } from '../agents/pm/pmAgent';
import { SecurityAgent } from '../agents/securityAgent';
import { WorktreeAgent } from '../agents/worktreeAgent';
import { systemClock } from '../domain/clock';
import { errorMessage } from '../domain/errors';
import { SimpleGitPort } from '../git/simpleGitPort';
import type { Board } from '../store/api';
import { registerAgentCommands } from './agents/agentCommands';
import { AgentsModel } from './agents/agentsModel';
import { registerConfigureAgent } from './agents/configureAgent';
import { AgentsTreeProvider } from './agents/agentsView';
import { AutopilotCommands } from './agents/autopilotCommands';
import { createPmPorts } from './agents/pmPorts';
import { AgentsStatusBar } from './agents/statusBar';
import { AttentionModel } from './attention/attentionModel';
import { BoardSession } from './boardSession';
import { editorSettings } from './config';
import { Commands, CONFIG_SECTION, Views } from './constants';
import { GitApiSource } from './git/gitApiSource';
import { VsCodeGitPort } from './git/vscodeGitPort';
import { createDiagnosticsPort } from './gatherer/diagnosticsPort';
import { SecurityDiagnostics } from './security/securityDiagnostics';
import { registerTicketFeatures, type TicketTesting } from './tickets/index';
import { PrompterHolder } from './ui/prompter';
import { registerGuardedCommand } from './util/guardedCommand';
import { registerRunFeatures, type RunTesting } from './runs/runFeatures';
import { RestrictedModeNotice } from './trust/restrictedMode';
import { registerWorktreeCommands } from './worktrees/worktreeCommands';

export interface TestApi {
  session: BoardSession;
  prompter: PrompterHolder;
  manager(): AgentManager | undefined;
  statusBarText(): string;
  statusBarTooltip(): string;
  /** The status bar item's background theme colour id, if any. */
  statusBarBackground(): string | undefined;
  attention: AttentionModel;
  /** What a window reload does to the board: the runs and agents stop, the board closes and opens again. */
  reloadBoard(): Promise<void>;
  agentsModel: AgentsModel;
  tickets: TicketTesting;
  runs: RunTesting;
  securityDiagnostics: SecurityDiagnostics;
  /** How git is reached: "the editor's Git API", or why not (then simple-git alone). */
  gitApi(): string;
}

export interface ExtensionExports {
  /** Only in ExtensionMode.Test: hooks the in-host tests drive the real code through. */
  testing?: TestApi;
}

let shutdown: (() => Promise<void>) | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<ExtensionExports> {
  const started = Date.now();
  const log = vscode.window.createOutputChannel('Agent Factory', { log: true });
  context.subscriptions.push(log);
  const config = editorSettings(log);
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
  const model = new AgentsModel(attention);
  const statusBar = new AgentsStatusBar(model);
  const securityDiagnostics = new SecurityDiagnostics();
  const tickets = registerTicketFeatures({ context, session, log, prompter, config, git, attention });
  context.subscriptions.push(session, model, statusBar, securityDiagnostics, tickets);
  const agentsView = vscode.window.createTreeView(Views.Agents, { treeDataProvider: new AgentsTreeProvider(model), showCollapseAll: false });
  context.subscriptions.push(agentsView);

  const worktreeAgent = new WorktreeAgent({ git, settings: () => config.worktreeSettings(), logger: log });
  const runFeatures = registerRunFeatures({
    context,
    session,
    config,
    git,
    worktreeSettings: () => config.worktreeSettings(),
    prompter,
    log,
    needsInput: (runs) => attention.setNeedsInput(runs),
  });
  context.subscriptions.push(runFeatures);
  // The PM stops overrun runs through this window's runner when it owns them.
  const pmPorts = createPmPorts(config, git, log, () => runFeatures.localStop);

  let manager: AgentManager | undefined;
  const buildAgents = (): BackgroundAgent[] => [
    new PmAgent({ settings: () => config.pmSettings(), probe: localProcessProbe, signals: pmPorts.signals, stopper: pmPorts.stopper }),
    new SecurityAgent({ settings: () => config.securitySettings(), git }),
    new GathererAgent({ settings: () => config.gathererSettings(), diagnostics: createDiagnosticsPort() }),
    worktreeAgent,
  ];

  const stopManager = async () => {
    const m = manager;
    manager = undefined;
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
    manager = new AgentManager({ board, clock: systemClock, log, agents: buildAgents(), settings: config.managerSettings() });
    model.bind(board, manager);
    manager.start();
  };

  context.subscriptions.push(
    session.onDidChangeBoard((board) => {
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
    registerAgentCommands({ session, config, prompter, log, probe: localProcessProbe, manager: () => manager }),
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

  // Stopping the agents is asynchronous (cycles in flight are aborted and awaited, the lease is
  // released); deactivate waits for it before the board closes.
  const stopAll = async () => {
    // Agent processes first (their outcomes are written to the board), then the loops.
    await runFeatures.shutdown();
    await stopManager();
  };
  shutdown = async () => {
    await stopAll();
    await session.board?.close();
  };

  if (vscode.workspace.isTrusted) await gitApi.lookUp();
  try {
    await session.open();
  } catch (err) {
    log.error(`Opening the board failed: ${errorMessage(err)}`);
    void vscode.window.showErrorMessage(`Agent Factory could not open the board: ${errorMessage(err)}`);
  }
  log.info(`Agent Factory activated in ${Date.now() - started} ms`);

  if (context.extensionMode !== vscode.ExtensionMode.Test) return {};
  return {
    testing: {
      session,
      prompter,
      manager: () => manager,
      statusBarText: () => statusBar.text,
      statusBarTooltip: () => statusBar.tooltipText,
      statusBarBackground: () => statusBar.background,
      attention,
      reloadBoard: async () => {
        await stopAll();
        await session.reopen();
      },
      agentsModel: model,
      tickets: tickets.testing,
      runs: runFeatures.testing,
      securityDiagnostics,
      gitApi: () => gitApi.description,
    },
  };
}

export async function deactivate(): Promise<void> {
  const stop = shutdown;
  shutdown = undefined;
  await stop?.();
}
