/**
 * The runner of a host: one RunManager for the runs this process owns and the TicketRunner that
 * starts tickets and chains stages, with the reader of the agents' output, configured from settings the same way in the editor and in a
 * headless host.
 */
import { ensureTicketWorktree } from '../agents/worktreeAgent';
import type { Clock } from '../domain/clock';
import type { Logger } from '../domain/logger';
import type { GitPort } from '../git/port';
import type { CliLauncher } from '../runner/cliShim';
import { AgentOutputReader } from '../runner/agentOutputReader';
import { readAutopilot } from '../loop/autopilotState';
import { exitJudge } from '../runner/exitJudgement';
import { RunManager } from '../runner/runManager';
import { RunWatch } from '../runner/runWatch';
import { TicketRunner, type TicketRunnerDeps } from '../runner/ticketRunner';
import type { Settings } from '../settings/settings';
import type { Board } from '../store/api';

export interface RunRuntimeDeps {
  board: Board;
  settings: Settings;
  git: GitPort;
  log: Logger;
  clock?: Clock | undefined;
  cli: CliLauncher;
  isTrusted(): boolean;
  /** The editor's terminals for stages without an agent; a headless host has none. */
  openTerminal?: TicketRunnerDeps['openTerminal'];
}

export interface RunRuntime {
  runs: RunManager;
  runner: TicketRunner;
  /** Reads the agents' output (token usage, tool calls); disposed with the runner. */
  reader: AgentOutputReader;
  /** Needs input, loops and budgets of the runs, read from that output; disposed with the runner. */
  watch: RunWatch;
}

export function createRunRuntime(deps: RunRuntimeDeps): RunRuntime {
  const { board, settings } = deps;
  const reader = new AgentOutputReader({ board, log: deps.log });
  // A budget stop goes through the manager's one stop routine (the watch is made before it).
  const watch: RunWatch = new RunWatch({ board, log: deps.log, clock: deps.clock, events: reader.onDidReadEvent, settings: () => settings.runWatchSettings(), stop: (id, note): Promise<unknown> => runs.cancel(id, note) });
  const runs: RunManager = new RunManager({
    board,
    log: deps.log,
    clock: deps.clock,
    maxParallel: settings.maxParallel(),
    stopGraceMs: settings.pmSettings().stopGraceMs,
    heartbeatTimeoutMs: settings.leaseTimeoutMs(),
    maxLogBytes: settings.maxLogBytes(),
    cli: deps.cli,
    observeOutput: watch.observe(reader.observe),
    pipeline: () => settings.pipeline(),
    judgeExit: exitJudge({
      completionPolicy: (stage) => settings.completionPolicy(stage),
      worktreeOf: (ticketId) => board.getTicket(ticketId)?.worktree,
      hasChanges: async (worktree) => (await deps.git.aheadBehind(worktree.path, worktree.base)).ahead > 0 || (await deps.git.changedFiles(worktree.path, worktree.base)).length > 0,
    }),
  });
  const runner = new TicketRunner({
    board,
    runs,
    log: deps.log,
    commandFor: (stage) => settings.agentCommand(stage),
    prepareWorktree: (ticket) => ensureTicketWorktree(board, deps.git, ticket, settings.worktreeSettings()),
    isTrusted: () => deps.isTrusted(),
    openTerminal: deps.openTerminal,
    autopilotOn: () => readAutopilot(board).on,
  });
  return { runs, runner, reader, watch };
}
