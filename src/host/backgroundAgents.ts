/**
 * The four background agents as every host builds them: the editor (with its Git API adapter and
 * the Problems panel for the Gatherer) and a headless host (simple-git, no diagnostics).
 */
import type { BackgroundAgent } from '../agents/agent';
import { GathererAgent } from '../agents/gathererAgent';
import { PmAgent } from '../agents/pm/pmAgent';
import { SecurityAgent } from '../agents/securityAgent';
import { WorktreeAgent } from '../agents/worktreeAgent';
import type { Clock } from '../domain/clock';
import type { ProcessProbe } from '../domain/liveness';
import type { Logger } from '../domain/logger';
import type { GitPort } from '../git/port';
import type { StallWatch } from '../process/stallWatch';
import { pruneRunFolders } from '../runner/runRetention';
import type { RunManager } from '../runner/runManager';
import type { DiagnosticsPort } from '../scan/gatherer/diagnostics';
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
  stallWatch: StallWatch;
  /** The runner of this process, when it has one (the PM stops its own runs through it). */
  runs(): RunManager | undefined;
  /** The editor's Problems panel; absent in a headless host. */
  diagnostics?: DiagnosticsPort | undefined;
  /** The Worktree agent, when the host shares it with commands; one is made otherwise. */
  worktree?: WorktreeAgent | undefined;
}

/** PM, Security, Gatherer and Worktree, in that order. */
export function createBackgroundAgents(deps: BackgroundAgentDeps): BackgroundAgent[] {
  const { board, settings, git, log, clock, probe } = deps;
  const pmPorts = createPmPorts(settings, git, log, probe, () => deps.runs());
  return [
    new PmAgent({
      settings: () => settings.pmSettings(),
      probe,
      signals: pmPorts.signals,
      stopper: pmPorts.stopper,
      awakeSince: () => deps.stallWatch.lastResumedAt,
      pruneRuns: (signal) => pruneRunFolders(board, settings.runRetention(), clock.now(), signal),
    }),
    new SecurityAgent({ settings: () => settings.securitySettings(), git }),
    new GathererAgent({ settings: () => settings.gathererSettings(), diagnostics: deps.diagnostics }),
    deps.worktree ?? new WorktreeAgent({ git, settings: () => settings.worktreeSettings(), logger: log }),
  ];
}
