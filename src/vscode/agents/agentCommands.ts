import * as vscode from 'vscode';
import { AGENT_NAMES, type AgentName } from '../../agents/agent';
import type { AgentManager, AgentStatus } from '../../agents/manager';
import { healStuckTickets, type HealOutcome, type HealWait } from '../../agents/pm/heal';
import { formatDuration } from '../../domain/duration';
import { statusLabel } from '../../domain/vocabulary';
import { plainLabel } from '../document/untrustedText';
import { localClockTime } from '../util/localTime';
import { systemClock } from '../../domain/clock';
import type { ProcessProbe } from '../../domain/liveness';
import type { Run } from '../../domain/run';
import { stopOrphan, type OrphanContext, type StopOrphanOutcome } from '../../runner/orphans';
import type { BoardSession } from '../boardSession';
import type { Settings } from '../../settings/settings';
import { Commands } from '../constants';
import type { PrompterHolder } from '../ui/prompter';
import { requireTrust } from '../trust/restrictedMode';
import type { AgentsModel } from './agentsModel';
import { registerGuardedCommand } from '../util/guardedCommand';

export interface AgentCommandDeps {
  session: BoardSession;
  config: Settings;
  prompter: PrompterHolder;
  log: vscode.LogOutputChannel;
  probe: ProcessProbe;
  manager(): AgentManager | undefined;
  model: AgentsModel;
  orphanContext(): OrphanContext;
}

/** What the command palette or a tree item hands a command: an agent node, a name, or nothing. */
function agentNameOf(arg: unknown): AgentName | undefined {
  if (typeof arg === 'string' && (AGENT_NAMES as readonly string[]).includes(arg)) return arg as AgentName;
  const status = (arg as { status?: AgentStatus } | undefined)?.status;
  return status?.name;
}

async function pickAgent(deps: AgentCommandDeps, arg: unknown, placeHolder: string): Promise<AgentName | undefined> {
  const named = agentNameOf(arg);
  if (named) return named;
  const statuses = deps.manager()?.statuses() ?? [];
  const picked = await deps.prompter.current.quickPick(
    AGENT_NAMES.map((name) => ({ label: name, description: statuses.find((s) => s.name === name)?.state ?? '' })),
    { placeHolder },
  );
  return picked?.label;
}

/** Heal, pause, resume, run now: the commands of the Agents view. */
export function registerAgentCommands(deps: AgentCommandDeps): vscode.Disposable {
  const requireManager = (): AgentManager => {
    requireTrust('The background agents');
    const manager = deps.manager();
    if (!manager) throw new Error('The background agents are not running: open a folder with an Agent Factory board first.');
    return manager;
  };
  return vscode.Disposable.from(
    registerGuardedCommand(Commands.HealStuckTickets, deps.log, (() => healCommand(deps))),
    registerGuardedCommand(Commands.PauseAgent, deps.log, (async (arg) => {
      const name = await pickAgent(deps, arg, 'Pause which agent?');
      if (name) await requireManager().pause(name);
    })),
    registerGuardedCommand(Commands.ResumeAgent, deps.log, (async (arg) => {
      const name = await pickAgent(deps, arg, 'Resume which agent?');
      if (name) await requireManager().resume(name);
    })),
    registerGuardedCommand(Commands.RunAgentNow, deps.log, (async (arg) => {
      const name = await pickAgent(deps, arg, 'Run which agent now?');
      if (name) await requireManager().runNow(name);
    })),
    registerGuardedCommand(Commands.StopOrphan, deps.log, ((arg) => stopOrphanCommand(deps, arg))),
  );
}

/**
 * "Stop Orphaned Agent": an orphan of the Agents view, a run id, or nothing (then it asks). The
 * orphan is checked again (still orphaned, its pid still its agent) before anything is signalled.
 */
async function stopOrphanCommand(deps: AgentCommandDeps, arg: unknown): Promise<StopOrphanOutcome | undefined> {
  const board = deps.session.board;
  if (!board) {
    void deps.prompter.current.info('Agent Factory: there is no board in this workspace.');
    return undefined;
  }
  let runId = typeof arg === 'string' ? arg : (arg as { run?: Run } | undefined)?.run?.id;
  if (runId === undefined) {
    const orphans = deps.model.orphans();
    if (orphans.length === 0) {
      void deps.prompter.current.info('Agent Factory: no orphaned agent runs on this machine.');
      return undefined;
    }
    const picked = await deps.prompter.current.quickPick(
      orphans.map((r) => ({ label: `${r.ticketId} ${r.stage}`, description: `pid ${r.pid ?? '?'} · ${r.agent} · ${r.id}`, runId: r.id })),
      { placeHolder: 'Stop which orphaned agent?' },
    );
    runId = picked?.runId;
    if (runId === undefined) return undefined;
  }
  const outcome = await stopOrphan(board, runId, { ...deps.orphanContext(), graceMs: deps.config.pmSettings().stopGraceMs, log: deps.log });
  const messages: Record<StopOrphanOutcome, string> = {
    stopped: `Stopped the orphaned agent of run ${runId}; the run is marked lost.`,
    gone: `The orphaned agent of run ${runId} had already ended; the run is marked lost.`,
    'not-orphan': `Run ${runId} is not an orphan any more (it ended, or its owner is back); nothing was stopped.`,
    'other-process': `The pid recorded for run ${runId} now belongs to another process; nothing was stopped.`,
  };
  deps.log.info(messages[outcome]);
  void deps.prompter.current.info(`Agent Factory: ${messages[outcome]}`);
  await deps.model.refreshOrphans();
  return outcome;
}

/**
 * "Heal Stuck Tickets": runs the PM's heal now, from any window, whether or not the PM is
 * paused. Returns what it did (the in-host tests read it).
 */
async function healCommand(deps: AgentCommandDeps): Promise<HealOutcome | undefined> {
  requireTrust('Heal Stuck Tickets');
  const board = deps.session.board ?? (await deps.session.open());
  if (!board) {
    void deps.prompter.current.info('There is no board in this workspace.');
    return undefined;
  }
  const outcome = await healStuckTickets(board, { clock: systemClock, settings: deps.config.pmSettings(), probe: deps.probe });
  for (const run of outcome.lost) deps.log.info(`Run ${run.id} of ${run.ticketId} marked lost`);
  const prompter = deps.prompter.current;
  const { healed, waiting } = outcome;
  if (healed.length === 0) {
    void prompter.info(nothingHealed(outcome, systemClock.now()));
    return outcome;
  }
  for (const h of healed) deps.log.info(`Healed ${h.ticketId} -> ${h.to}: ${h.reason}`);
  const ids = healed.map((h) => h.ticketId);
  const later = waiting.length > 0 ? ` ${waitingText(waiting, systemClock.now())}` : '';
  const message = `Healed ${healed.length} stuck ticket${healed.length === 1 ? '' : 's'}: ${ids.join(', ')}.${later}`;
  if (healed.length === 1) {
    const open = `Open ${ids[0]}`;
    void prompter.info(message, open).then(async (choice) => {
      if (choice === open) await vscode.commands.executeCommand(Commands.OpenTicket, ids[0]);
    });
    return outcome;
  }
  void prompter.info(message, 'Show').then(async (choice) => {
    if (choice !== 'Show') return;
    const picked = await prompter.quickPick(
      healed.map((h) => ({ label: h.ticketId, description: `→ ${statusLabel(h.to)}`, detail: plainLabel(h.reason) })),
      { placeHolder: 'Open a healed ticket' },
    );
    if (picked) await vscode.commands.executeCommand(Commands.OpenTicket, picked.label);
  });
  return outcome;
}

/** Nothing was healed: why, and when the tickets that wait become healable. */
export function nothingHealed(outcome: HealOutcome, now: number): string {
  const lost = outcome.lost.length > 0 ? ` (${outcome.lost.length} lost run${outcome.lost.length === 1 ? '' : 's'} recorded)` : '';
  if (outcome.waiting.length === 0) return `No stuck tickets${lost}.`;
  return `No ticket can be healed yet${lost}. ${waitingText(outcome.waiting, now)}`;
}

/** "T-7 becomes healable at 14:05 (in 1 min 20 s); ..." : the grace period, ticket by ticket. */
function waitingText(waiting: readonly HealWait[], now: number): string {
  const each = waiting.map((w) => `${w.ticketId} at ${localClockTime(w.healableAt, vscode.env.language)} (in ${formatDuration(w.healableAt - now)})`);
  return `Within the grace period that protects a ticket that is just starting, ${waiting.length === 1 ? 'this one becomes' : 'these become'} healable: ${each.join('; ')}.`;
}
