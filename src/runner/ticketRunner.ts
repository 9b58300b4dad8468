/**
 * "Start Ticket" and the stage-to-stage chain. A start records the run first and then moves the
 * ticket READY -> IN_DEV with compare-and-set, in one transaction, so the PM never sees an IN_DEV
 * ticket without a live run (the original did the reverse and healed tickets that were starting).
 * Then the worktree is created or reused, the prompt written, and the stage's agent launched, or,
 * with no agent configured, a terminal opened for a person (in the editor). Whatever fails after
 * the run was recorded ends it as failed and undoes the move, so the ticket can be started again
 * at once and no queued or running row is left behind.
 */
import { errorMessage, FactoryError } from '../domain/errors';
import type { Disposable } from '../domain/event';
import { assertTicketId } from '../domain/ids';
import { silentLogger, type Logger } from '../domain/logger';
import type { Run } from '../domain/run';
import { isActive, type Actor, type Status } from '../domain/status';
import type { Ticket, Worktree } from '../domain/ticket';
import type { Board } from '../store/api';
import { agentName, STAGE_SETTING_NAMES, type AgentCommand } from './agentCommand';
import { findProgram } from './profiles/programLookup';
import { builtInProfile } from './profiles/profiles';
import { writePromptFile } from './prompt';
import type { RunEnded, RunManager } from './runManager';

export interface TicketRunnerDeps {
  board: Board;
  runs: RunManager;
  log?: Logger;
  /** The agent configured for a stage; undefined = none (a terminal). Throws for a malformed setting. */
  commandFor(stage: Status): AgentCommand | undefined;
  /** Creates or reuses the ticket's worktree (ensureTicketWorktree) and returns it. */
  prepareWorktree(ticket: Ticket): Promise<Worktree>;
  /** Workspace trust: nothing is spawned in an untrusted workspace. */
  isTrusted(): boolean;
  /**
   * Opens the terminal a person works a stage in when no agent is configured for it (the editor).
   * Without it (a headless host) such a stage cannot be started.
   */
  openTerminal?(started: StartedRun, ticket: Ticket): void | Promise<void>;
  /** The environment agents inherit (where their program is looked up); defaults to this process's. */
  env?: NodeJS.ProcessEnv;
}

export interface StartedRun {
  run: Run;
  /** `agent`: a process was launched (or queued); `terminal`: the editor opens a terminal for it. */
  kind: 'agent' | 'terminal';
  /** Place in the queue when the parallel limit held it back. */
  queuePosition?: number | undefined;
  worktree: string;
  promptFile: string;
  /** For a terminal: the environment to give it (AGENT_FACTORY_*, `agent-factory` on the PATH). */
  env?: NodeJS.ProcessEnv | undefined;
}

export class TicketRunner implements Disposable {
  private readonly log: Logger;
  private readonly subscription: Disposable;

  constructor(private readonly deps: TicketRunnerDeps) {
    this.log = deps.log ?? silentLogger;
    this.subscription = deps.runs.onDidEndRun((e) => this.chain(e));
  }

  /**
   * Starts work on a ticket: READY moves to IN_DEV; a ticket already in an active stage with no
   * live run (a retry) gets that stage's agent again.
   */
  startTicket(ticketId: string, by: Actor = 'user'): Promise<StartedRun> {
    return this.start(ticketId, by, undefined);
  }

  private async start(ticketId: string, by: Actor, expectedStage: Status | undefined): Promise<StartedRun> {
    const { board, runs } = this.deps;
    if (!this.deps.isTrusted()) {
      throw new FactoryError('untrusted', 'Agent Factory does not start agents in an untrusted workspace. Trust the workspace to start tickets.');
    }
    const id = assertTicketId(ticketId);
    const ticket = board.getTicket(id);
    if (!ticket) throw new FactoryError('not-found', `there is no ticket ${id}`);
    const stage = expectedStage ?? stageToStart(ticket);
    const command = this.deps.commandFor(stage);
    if (!command && !this.deps.openTerminal) {
      throw new FactoryError('runner', `no agent is configured for ${stage} (agentFactory.agents.${STAGE_SETTING_NAMES[stage] ?? stage}.command), and a terminal can only be opened in the editor`);
    }
    if (command) await assertProgramFound(command, stage, { ...(this.deps.env ?? process.env), ...command.env });
    const agent = agentName(command);

    const recorded = await board.write((tx) => {
      const [other] = tx.listRuns({ ticketId: id, status: ['queued', 'running'] });
      if (other) {
        throw new FactoryError('runner', `${id} already has a ${other.status} run (${other.id}, ${other.agent}); cancel it before starting again`);
      }
      const attempt = tx.listRuns({ ticketId: id }).filter((r) => r.stage === stage).length + 1;
      // The run first, then the move: whoever looks at an IN_DEV ticket finds its live run.
      const run = tx.createRun({ ticketId: id, stage, agent, status: 'queued', attempt });
      const current = tx.getTicket(id);
      try {
        if (current?.status === 'READY' && stage === 'IN_DEV') {
          tx.transition(id, 'READY', 'IN_DEV', by, `Started: ${agent} run ${run.id}`);
        } else if (current?.status !== stage) {
          throw new FactoryError('status-conflict', `${id} is ${current?.status ?? 'gone'} now, not ${ticket.status}; someone else moved it`);
        }
      } catch (err) {
        if (!(err instanceof FactoryError)) throw err;
        const note = `not started: ${err.message}`;
        return { run: tx.updateRun(run.id, { status: 'cancelled', endedAt: run.startedAt, note }), refused: err };
      }
      tx.updateTicket(id, { assignedAgent: agent });
      return { run, refused: undefined };
    });
    if (recorded.refused) {
      throw new FactoryError('status-conflict', `${recorded.refused.message} (run ${recorded.run.id} recorded as cancelled)`);
    }
    const run = recorded.run;
    const undoMove = stage === 'IN_DEV' && ticket.status === 'READY';
    let step = 'prepare the worktree';
    try {
      runs.reserve(run.id);
      const worktree = await this.deps.prepareWorktree(board.getTicket(id) ?? ticket);
      step = 'write the prompt file';
      const prepared = await board.write((tx) => tx.updateRun(run.id, { worktree: worktree.path }));
      const current = board.getTicket(id) ?? ticket;
      const promptFile = await writePromptFile(board, { ticket: current, run: prepared, worktree: worktree.path, boardDir: board.dir });
      if (command) {
        step = 'launch the agent';
        const queuePosition = runs.launch({ runId: run.id, command, title: current.title, promptFile, worktree: worktree.path });
        this.log.info(`${id}: ${stage} run ${run.id} (${agent}) ${queuePosition ? `queued at position ${queuePosition}` : 'started'}`);
        return { run: board.getRun(run.id) ?? prepared, kind: 'agent', queuePosition, worktree: worktree.path, promptFile };
      }
      step = 'open the terminal';
      const attached = await runs.attachTerminalRun(run.id);
      const env = await runs.agentEnvironment(attached, promptFile);
      const started: StartedRun = { run: attached, kind: 'terminal', worktree: worktree.path, promptFile, env };
      await this.deps.openTerminal?.(started, current);
      this.log.info(`${id}: ${stage} run ${run.id} in a terminal`);
      return started;
    } catch (err) {
      const why = `could not ${step}: ${errorMessage(err)}`;
      await runs.abandonStart(run, why, undoMove);
      throw new FactoryError(step === 'prepare the worktree' ? 'git' : 'runner', `${id}: ${why}`, { cause: err });
    } finally {
      runs.release(run.id);
    }
  }

  /** After a stage succeeds, the next stage's agent starts when one is configured. */
  private chain(e: RunEnded): void {
    const next = e.advancedTo;
    if (e.run.status !== 'succeeded' || next === undefined || !isActive(next) || !this.deps.isTrusted()) return;
    let command: AgentCommand | undefined;
    try {
      command = this.deps.commandFor(next);
    } catch (err) {
      this.log.warn(`${e.run.ticketId}: not starting the ${next} agent: ${errorMessage(err)}`);
      return;
    }
    if (!command) return;
    this.start(e.run.ticketId, 'runner', next).catch((err: unknown) =>
      this.log.warn(`${e.run.ticketId}: could not start the ${next} agent: ${errorMessage(err)}`),
    );
  }

  dispose(): void {
    this.subscription.dispose();
  }
}

/** A missing program is named before anything is recorded: no failed run with an empty log. */
async function assertProgramFound(command: AgentCommand, stage: Status, env: NodeJS.ProcessEnv): Promise<void> {
  if (await findProgram(command.program, env)) return;
  const profile = builtInProfile(command.profile);
  const setting = `agentFactory.agents.${STAGE_SETTING_NAMES[stage] ?? stage}`;
  const what = profile
    ? `${profile.label} ("${profile.program}") is not installed or not on the PATH. Install it (${profile.install}) or choose another profile`
    : `the program "${command.program}" of ${setting}.command was not found. Fix the setting or choose a profile`;
  throw new FactoryError('not-found', `The ${stage} agent cannot start: ${what} with "Agent Factory: Configure Agent…".`);
}

/** The stage a Start works: READY starts development, an active stage is retried. */
function stageToStart(ticket: Ticket): Status {
  if (ticket.status === 'READY') return 'IN_DEV';
  if (isActive(ticket.status)) return ticket.status;
  const hint = ticket.status === 'BACKLOG' ? 'move it to READY first' : ticket.status === 'BLOCKED' ? 'unblock it first' : 'reopen it first';
  throw new FactoryError('illegal-transition', `${ticket.id} is ${ticket.status}: only READY or active tickets can be started (${hint})`);
}
