/** One agent process working one stage of one ticket. */
import type { RunAttention } from './runAttention';
import type { TokenUsage } from './usage';

export const RUN_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out', 'lost'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
/** The statuses of a run that still holds its ticket (and a place under the parallel limit). */
export const LIVE_RUN_STATUSES: readonly RunStatus[] = ['queued', 'running'];

/**
 * What an agent said about its stage through the CLI: `done` (a work stage is finished),
 * `approved` or `rejected` (a review stage's outcome), `blocked` (it needs a person). A run that
 * ends without one was not finished by its agent, whatever its exit code.
 */
export const VERDICTS = ['done', 'approved', 'rejected', 'blocked'] as const;
export type Verdict = (typeof VERDICTS)[number];

export interface Run {
  id: string;
  ticketId: string;
  /** The ticket status this run works (IN_DEV, IN_QA, ...). */
  stage: string;
  /** The coding agent: a program name, or "terminal" when the user works in a terminal. */
  agent: string;
  worktree?: string | undefined;
  /** Which extension host or CLI process owns it (its lease owner id). */
  owner: string;
  pid?: number | undefined;
  startedAt: number;
  heartbeatAt: number;
  lastOutputAt?: number | undefined;
  endedAt?: number | undefined;
  status: RunStatus;
  exitCode?: number | undefined;
  attempt: number;
  logFile?: string | undefined;
  /**
   * The agent process's start token (processIdentity): with `pid`, tells the agent from a later
   * process that reused its pid.
   */
  processStart?: string | undefined;
  /** Last progress an agent reported through the CLI, 0..100. */
  reportedProgress?: number | undefined;
  /** What the agent said with its last progress report ("read the prompt"). */
  progressNote?: string | undefined;
  note?: string | undefined;
  /** Tokens (and cost) the agent's model calls used, as read from its output; absent when unknown. */
  usage?: TokenUsage | undefined;
  /** Whether it waits for a person or repeats itself (recorded while it lives). */
  attention?: RunAttention | undefined;
  verdict?: Verdict | undefined;
  /** The agent's own account of the stage (`--summary`, the reason of a `block`). */
  summary?: string | undefined;
}

export function isLive(run: Run): boolean {
  return run.status === 'running' || run.status === 'queued';
}

/** The agent name of a run a person works in an integrated terminal. */
export const TERMINAL_AGENT = 'terminal';

/** A person works this run in a terminal: no process of ours to judge or stop by time. */
export function isTerminalRun(run: Pick<Run, 'agent' | 'pid'>): boolean {
  return run.agent === TERMINAL_AGENT && run.pid === undefined;
}

/**
 * How often an owner writes `heartbeatAt` on its live runs, given the silence after which other
 * machines call the owner gone: a third of it, between one and ten seconds.
 */
export function heartbeatIntervalFor(timeoutMs: number): number {
  return Math.max(1000, Math.min(10_000, Math.floor(timeoutMs / 3)));
}
