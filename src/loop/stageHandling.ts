/**
 * Who moves a ticket through a stage of the pipeline: its configured coding agent, the board
 * itself (IN_SEC without an agent: the Security agent scans the change at once), or a person.
 * The autopilot, the status bar and `agent-factory status` ask the same question here.
 */
import { STAGES } from '../domain/pipeline';
import { LIVE_RUN_STATUSES as LIVE } from '../domain/run';
import { isActive, type Status } from '../domain/status';
import type { Ticket } from '../domain/ticket';
import type { BoardReader } from '../store/api';

export type StageHandling = 'agent' | 'automatic' | 'person';

/** The stage with no agent that the board passes by itself. */
export const AUTOMATIC_STAGE: Status = 'IN_SEC';

export interface StageConfig {
  /** The stages in use (`agentFactory.pipeline`). */
  pipeline(): readonly Status[];
  /** Whether a coding agent is configured for the stage (a malformed setting counts as one: its start reports the problem). */
  hasAgent(stage: Status): boolean;
}

export function stageHandling(stage: Status, config: Pick<StageConfig, 'hasAgent'>): StageHandling {
  if (config.hasAgent(stage)) return 'agent';
  return stage === AUTOMATIC_STAGE ? 'automatic' : 'person';
}

/**
 * Tickets sitting in a stage that only a person can finish (no agent configured, not automatic)
 * and that nobody works on now: "2 waiting for review". A stage the pipeline does not list (it
 * was edited while tickets were in it) is one too: nothing else would ever move them on. Oldest
 * first.
 */
export function waitingForPerson(reader: BoardReader, config: StageConfig): Ticket[] {
  // Asked per stage, not per ticket, and only those stages' tickets read: the autopilot asks on
  // every change of a board that may hold thousands of tickets.
  const pipeline = config.pipeline();
  const stages = STAGES.filter((s) => isActive(s) && (!pipeline.includes(s) || stageHandling(s, config) === 'person'));
  if (stages.length === 0) return [];
  const worked = new Set(reader.listRuns({ status: LIVE }).map((r) => r.ticketId));
  // The store's own tickets, not copies: asked on every change, for stages that may hold hundreds.
  return reader
    .readTickets({ status: stages })
    .filter((t) => !worked.has(t.id))
    .sort((a, b) => a.updatedAt - b.updatedAt || a.createdAt - b.createdAt);
}

/** "2 waiting for review", or undefined when none is. */
export function describeWaiting(count: number): string | undefined {
  return count > 0 ? `${count} waiting for review` : undefined;
}
