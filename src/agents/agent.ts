/** What the manager needs from a background agent, and what it gives one for a cycle. */
import type { Clock } from '../domain/clock';
import type { Logger } from '../domain/logger';
import type { Board } from '../store/api';

export const AGENT_NAMES = ['PM', 'Security', 'Gatherer', 'Worktree'] as const;
export type AgentName = (typeof AGENT_NAMES)[number];

/** A cycle logs through the same Logger as every headless layer. */
export { silentLogger, type Logger } from '../domain/logger';

export interface CycleContext {
  board: Board;
  clock: Clock;
  log: Logger;
  /** Aborted when the cycle times out or the manager stops; long work must check it. */
  signal: AbortSignal;
  /** Current activity shown in the Agents view ("Scanning 3 worktrees"). */
  setActivity(text: string): void;
  /**
   * Throws when the cycle no longer counts (abandoned, or the lease was lost), after catching up
   * with the board. Call before acting outside the board (stopping a process); board writes are
   * fenced by themselves.
   */
  fence?(): Promise<void>;
}

export interface CycleResult {
  /** What the cycle did, shown as the agent's activity once it is idle again. */
  summary: string;
  /** True when something needs a human (stalled run, stuck ticket, open blocker). */
  attention?: boolean;
}

export interface BackgroundAgent {
  readonly name: AgentName;
  readonly defaultIntervalSeconds: number;
  runCycle(ctx: CycleContext): Promise<CycleResult>;
  /** Ends what the agent keeps between cycles (threads); called when the agents stop. */
  dispose?(): Promise<void>;
}
