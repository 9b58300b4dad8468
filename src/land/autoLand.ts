/**
 * Landing without a person (`agentFactory.land.auto`): what the autopilot calls on each of its
 * rounds. With the setting and the autopilot on, it lands the longest-waiting PM_REVIEW ticket
 * that passed: a worktree, no open critical or high bug, no review agent still working on it, and
 * not already in the land queue. One land per call; the queue keeps it one at a time per board.
 */
import { isLive } from '../domain/run';
import { isBlockingBug, type Ticket } from '../domain/ticket';
import { readAutopilot } from '../loop/autopilotState';
import type { BoardReader } from '../store/api';
import { liveLandQueue } from './landQueue';
import { landTicket, type LandDeps, type LandOutcome } from './landTicket';

/** PM_REVIEW tickets that may land by themselves, the longest waiting first. */
export function autoLandCandidates(reader: BoardReader, now: number, leaseTimeoutMs: number): Ticket[] {
  const queued = new Set(liveLandQueue(reader, now, leaseTimeoutMs).map((e) => e.ticketId));
  return reader
    .listTickets({ status: 'PM_REVIEW' })
    .filter((t) => t.worktree !== undefined && !queued.has(t.id))
    .filter((t) => !reader.listBugs(t.id).some(isBlockingBug))
    .filter((t) => !reader.listRuns({ ticketId: t.id }).some(isLive))
    .sort((a, b) => a.statusSince - b.statusSince || a.createdAt - b.createdAt);
}

/**
 * Lands the first candidate when `agentFactory.land.auto` and the autopilot are both on;
 * undefined when there was nothing to do.
 */
export async function autoLand(deps: LandDeps): Promise<LandOutcome | undefined> {
  const { board, clock, settings } = deps;
  if (!settings.auto || !readAutopilot(board).on) return undefined;
  await board.refresh();
  const [next] = autoLandCandidates(board, clock.now(), settings.leaseTimeoutMs);
  return next ? landTicket(deps, next.id) : undefined;
}
