/**
 * Builds one background agent from what a host has: settings, git, a logger and, in the editor,
 * the Problems panel and the runner. The editor builds its four agents here, and so does
 * `agent-factory run-agent` when it runs a cycle in its own process, so both run the same agent
 * the same way.
 */
import type { Clock } from '../domain/clock';
import type { GitPort } from '../git/port';
import { ConflictRadar } from '../radar/conflictRadar';
import type { DiagnosticsPort } from '../scan/gatherer/diagnostics';
import type { Settings } from '../settings/settings';
import type { AgentName, Logger } from './agent';
import { GathererAgent } from './gathererAgent';
import { localProcessProbe, type ProcessProbe } from './pm/liveness';
import { PmAgent } from './pm/pmAgent';
import { createPmPorts, type LocalRunStop } from './pm/ports';
import { SecurityAgent } from './securityAgent';
import { WorktreeAgent } from './worktreeAgent';

export interface AgentHostDeps {
  settings: Settings;
  git: GitPort;
  log: Logger;
  clock?: Clock;
  /** The editor's errors and warnings, for the Gatherer; absent outside the editor. */
  diagnostics?: DiagnosticsPort | undefined;
  /** Stops a run through this process's runner when it owns the run (the editor's runner). */
  localStop?: () => LocalRunStop | undefined;
  probe?: ProcessProbe;
}

interface AgentsByName {
  PM: PmAgent;
  Security: SecurityAgent;
  Gatherer: GathererAgent;
  Worktree: WorktreeAgent;
}

const FACTORIES: { [N in AgentName]: (deps: AgentHostDeps) => AgentsByName[N] } = {
  PM: (deps) => {
    const ports = createPmPorts(deps.settings, deps.git, deps.log, deps.localStop ?? (() => undefined));
    return new PmAgent({ settings: () => deps.settings.pmSettings(), probe: deps.probe ?? localProcessProbe, signals: ports.signals, stopper: ports.stopper });
  },
  Security: (deps) => new SecurityAgent({ settings: () => deps.settings.securitySettings(), git: deps.git }),
  Gatherer: (deps) => new GathererAgent({ settings: () => deps.settings.gathererSettings(), diagnostics: deps.diagnostics }),
  Worktree: (deps) => new WorktreeAgent({ git: deps.git, settings: () => deps.settings.worktreeSettings(), logger: deps.log, clock: deps.clock, radar: new ConflictRadar() }),
};

export function createAgent<N extends AgentName>(name: N, deps: AgentHostDeps): AgentsByName[N] {
  return FACTORIES[name](deps);
}
