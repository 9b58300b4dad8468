/**
 * The four background agents as every host builds them: the editor (with its Git API adapter and
 * the Problems panel for the Gatherer), a headless host (simple-git, no diagnostics), and
 * `agent-factory run-agent` when it runs one cycle in its own process. All of them build each
 * agent here, so every host runs the same agent the same way.
 */
import { AGENT_NAMES, type AgentName, type BackgroundAgent } from '../agents/agent';
import { GathererAgent } from '../agents/gathererAgent';
import { PmAgent } from '../agents/pm/pmAgent';
import { SecurityAgent } from '../agents/securityAgent';
import { WorktreeAgent } from '../agents/worktreeAgent';
import type { Clock } from '../domain/clock';
import type { ProcessProbe } from '../domain/liveness';
import type { Logger } from '../domain/logger';
import type { GitPort } from '../git/port';
import type { StallWatch } from '../process/stallWatch';
import { ConflictRadar } from '../radar/conflictRadar';
import { pruneRunFolders } from '../runner/runRetention';
import type { RunManager } from '../runner/runManager';
import type { DiagnosticsPort } from '../scan/gatherer/diagnostics';
import { sharedMatchPool } from '../scan/security/matchPool';
import type { Board } from '../store/api';
import type { Settings } from '../settings/settings';
import { createPmPorts } from './pmPorts';

export interface BackgroundAgentDeps {
  board: Board;
  settings: Settings;
  git: GitPort;
  log: Logger;
  clock: Clock;
  probe: ProcessProbe;
  /** Notices the host thread resuming after a stall; absent for a single cycle from the CLI. */
  stallWatch?: StallWatch | undefined;
  /** The runner of this process, when it has one (the PM stops its own runs through it). */
  runs(): RunManager | undefined;
  /** The editor's Problems panel; absent in a headless host. */
  diagnostics?: DiagnosticsPort | undefined;
  /** The Worktree agent, when the host shares it with commands; one is made otherwise. */
  worktree?: WorktreeAgent | undefined;
}

interface AgentsByName {
  PM: PmAgent;
  Security: SecurityAgent;
  Gatherer: GathererAgent;
  Worktree: WorktreeAgent;
}

const FACTORIES: { [N in AgentName]: (deps: BackgroundAgentDeps) => AgentsByName[N] } = {
  PM: (deps) => {
    const { board, settings, git, log, clock, probe } = deps;
    const ports = createPmPorts(settings, git, log, probe, () => deps.runs());
    return new PmAgent({
      settings: () => settings.pmSettings(),
      probe,
      signals: ports.signals,
      stopper: ports.stopper,
      awakeSince: () => deps.stallWatch?.lastResumedAt,
      pruneRuns: (signal) => pruneRunFolders(board, settings.runRetention(), clock.now(), signal),
    });
  },
  // The change is listed in the Security scan's threads, which start git's processes off this thread.
  Security: (deps) => new SecurityAgent({ settings: () => deps.settings.securitySettings(), git: sharedMatchPool }),
  Gatherer: (deps) => new GathererAgent({ settings: () => deps.settings.gathererSettings(), diagnostics: deps.diagnostics }),
  Worktree: (deps) =>
    deps.worktree ?? new WorktreeAgent({ git: deps.git, settings: () => deps.settings.worktreeSettings(), logger: deps.log, clock: deps.clock, radar: new ConflictRadar() }),
};

/** One background agent, built as every host builds it. */
export function createAgent<N extends AgentName>(name: N, deps: BackgroundAgentDeps): AgentsByName[N] {
  return FACTORIES[name](deps);
}

/** PM, Security, Gatherer and Worktree, in that order. */
export function createBackgroundAgents(deps: BackgroundAgentDeps): BackgroundAgent[] {
  return AGENT_NAMES.map((name) => createAgent(name, deps));
}
