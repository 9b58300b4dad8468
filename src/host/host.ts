/**
 * The headless host: a composition root without VS Code. It opens a repository's board, competes
 * for the agents lease and, while it holds it, runs the background agents that need no editor
 * (PM, Security, Gatherer without diagnostics, Worktree with simple-git); its runner starts and
 * supervises the coding agents of the tickets it is asked to start. `stop()`, SIGINT and SIGTERM
 * shut it down in order: its runs stopped and recorded, the lease released, the board closed.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { AgentManager } from '../agents/manager';
import { systemClock, type Clock } from '../domain/clock';
import { FactoryError } from '../domain/errors';
import type { Logger } from '../domain/logger';
import { SimpleGitPort } from '../git/simpleGitPort';
import { localProcessProbe } from '../process/localProbe';
import { stopProcessStarter, useProcessStarter } from '../process/processStarter';
import { StallWatch } from '../process/stallWatch';
import type { CliLauncher } from '../runner/cliShim';
import { findOrphans, stopOrphan, type StopOrphanOutcome } from '../runner/orphans';
import type { RunManager } from '../runner/runManager';
import type { TicketRunner } from '../runner/ticketRunner';
import type { Settings } from '../settings/settings';
import type { Run } from '../domain/run';
import { resolveBoardLocation } from '../store/location';
import { openBoard, type SqlBoard } from '../store/sqlBoard';
import { bundledWasmPath } from '../store/sqlite';
import type { Autopilot } from '../loop/autopilot';
import { createAutopilot } from './autopilotRuntime';
import { createBackgroundAgents } from './backgroundAgents';
import { createRunRuntime } from './runRuntime';
import { shutDownInOrder } from './shutdown';

export interface HostOptions {
  /** The repository (any folder inside it); its board must exist. */
  repoRoot: string;
  settings: Settings;
  log: Logger;
  clock?: Clock;
  /** How agents reach `agent-factory`; defaults to the CLI beside this module. */
  cli?: CliLauncher;
  /** Shut down on SIGINT and SIGTERM (default true; false when embedded in something that does). */
  handleSignals?: boolean;
  /**
   * Start git in a process starter, as the editor does (default true): the host's thread then
   * only sends it a message, instead of waiting while the kernel copies this process's page
   * tables for every git it starts. Ended when the host stops.
   */
  processStarter?: boolean;
}

export interface Host {
  readonly board: SqlBoard;
  readonly runs: RunManager;
  readonly runner: TicketRunner;
  readonly manager: AgentManager;
  /** Starts and moves tickets while the autopilot is on and this host holds the agents lease. */
  readonly autopilot: Autopilot;
  /** Resolves once the host has shut down, whoever asked. */
  readonly stopped: Promise<void>;
  /** Runs of this board whose agents run on here with their owner gone. */
  orphans(): Promise<Run[]>;
  /** Stops an orphaned agent (checked again first) and marks its run lost. */
  stopOrphan(runId: string): Promise<StopOrphanOutcome>;
  /** Shuts down in order; idempotent. */
  stop(reason?: string): Promise<void>;
}

export async function startHost(options: HostOptions): Promise<Host> {
  const { settings, log } = options;
  const clock = options.clock ?? systemClock;
  const problems = settings.problems();
  for (const problem of problems) log.warn(`Setting ignored: ${problem}`);
  const location = await resolveBoardLocation(options.repoRoot);
  if (!location) throw new FactoryError('not-found', `${options.repoRoot} is not inside a git repository`);
  if (!location.exists) throw new FactoryError('not-found', `there is no board in ${location.repoRoot}; create one with "agent-factory init"`);
  const board = await openBoard({ dir: location.dir, repoRoot: location.repoRoot, create: false, clock, wasmPath: bundledWasmPath() });
  if (board.openReport.restored) log.error(`The board was damaged and restored: ${board.openReport.message ?? ''}`);

  const ownsStarter = options.processStarter ?? true;
  if (ownsStarter) useProcessStarter({ log });
  const git = new SimpleGitPort();
  const stallWatch = new StallWatch();
  const { runs, runner, reader, watch } = createRunRuntime({ board, settings, git, log, clock, cli: options.cli ?? defaultCliLauncher(), isTrusted: () => true });
  const agents = createBackgroundAgents({ board, settings, git, log, clock, probe: localProcessProbe, stallWatch, runs: () => runs });
  const manager = new AgentManager({ board, clock, log, agents, settings: settings.managerSettings() });
  const autopilot = createAutopilot({ board, settings, clock, log, runner: () => runner, git, isLeader: () => manager.isLeader });
  const leadership = manager.onDidChangeStatus(() => autopilot.agentsChanged());
  const orphanContext = () => ({ probe: localProcessProbe, heartbeatTimeoutMs: settings.leaseTimeoutMs(), clock });

  let stopping: Promise<void> | undefined;
  let markStopped = (): void => {};
  const stopped = new Promise<void>((resolve) => (markStopped = resolve));
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log.warn(`${signal} again: exiting without waiting`);
      process.exit(130);
    }
    log.info(`${signal}: shutting down`);
    void host.stop(`the host received ${signal}`);
  };
  const handleSignals = options.handleSignals ?? true;
  if (handleSignals) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }

  const host: Host = {
    board,
    runs,
    runner,
    manager,
    autopilot,
    stopped,
    orphans: () => findOrphans(board, orphanContext()),
    stopOrphan: (runId) => stopOrphan(board, runId, { ...orphanContext(), graceMs: settings.pmSettings().stopGraceMs, log }),
    stop(reason = 'the host stopped') {
      stopping ??= (async () => {
        leadership.dispose();
        autopilot.dispose();
        await autopilot.settle();
        runner.dispose();
        await shutDownInOrder({ runs, manager, board }, reason, log);
        watch.dispose();
        reader.dispose();
        stallWatch.dispose();
        if (ownsStarter) stopProcessStarter();
        if (handleSignals) {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        }
        log.info('Host stopped');
        markStopped();
      })();
      return stopping;
    },
  };

  manager.start();
  log.info(`Host started on ${board.dir} as ${board.ownerId}`);
  const orphans = await host.orphans().catch(() => []);
  for (const run of orphans) log.warn(`Orphaned agent: run ${run.id} of ${run.ticketId} (pid ${run.pid ?? '?'}) runs on with its owner gone; stop it or let it finish`);
  return host;
}

/** The CLI next to this module: dist/cli.js beside the bundle, or the compiled src/cli/main.js. */
export function defaultCliLauncher(): CliLauncher {
  const bundled = path.join(__dirname, 'cli.js');
  return { nodePath: process.execPath, script: existsSync(bundled) ? bundled : path.join(__dirname, '..', 'cli', 'main.js') };
}
