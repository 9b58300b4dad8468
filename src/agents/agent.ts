/** What the manager needs from a background agent, and what it gives one for a cycle. */
import type { Clock } from '../domain/clock';
import type { Board } from '../store/api';

export const AGENT_NAMES = ['PM', 'Security', 'Gatherer', 'Worktree'] as const;
export type AgentName = (typeof AGENT_NAMES)[number];

/** The shape of VS Code's LogOutputChannel, so the editor passes its channel straight in. */
export interface Logger {
  trace(message: string, ...args: unknown[]): void;
  debug(message: string, ...args: unknown[]): void;
  info(message: string, ...args: unknown[]): void;
  warn(message: string, ...args: unknown[]): void;
  error(message: string | Error, ...args: unknown[]): void;
}

export const silentLogger: Logger = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

export interface CycleContext {
  board: Board;
  clock: Clock;
  log: Logger;
  /** Aborted when the cycle times out or the manager stops; long work must check it. */
  signal: AbortSignal;
  /** Current activity shown in the Agents view ("Scanning 3 worktrees"). */
  setActivity(text: string): void;
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
}
