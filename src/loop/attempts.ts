/**
 * How many attempts a ticket's stage has used, for the autopilot's `runs.maxAttempts`. An attempt
 * is a run of that stage (a failure, a heal, a rework all end one); a person who puts the ticket
 * back (unblocks it, answers its agent, moves it by hand) gives it a fresh count.
 */
import type { Run } from '../domain/run';
import type { Status } from '../domain/status';
import type { BoardReader } from '../store/api';

export interface StageAttempts {
  used: number;
  /** The latest of them, for the reason a ticket is blocked with. */
  last?: Run | undefined;
}

/** Actors whose moves are the board's own; any other move was made by a person. */
const BOARD_ACTORS = new Set(['runner', 'autopilot', 'PM', 'Security', 'Gatherer', 'Worktree']);

export function stageAttempts(reader: BoardReader, ticketId: string, stage: Status): StageAttempts {
  const runs = reader.listRuns({ ticketId });
  const agents = new Set(runs.map((r) => r.agent));
  const byPerson = reader
    .history(ticketId)
    .filter((h) => h.from !== null && !BOARD_ACTORS.has(h.by) && !agents.has(h.by))
    .at(-1);
  const since = byPerson?.at ?? Number.NEGATIVE_INFINITY;
  const counted = runs.filter((r) => r.stage === stage && r.startedAt >= since).sort((a, b) => a.startedAt - b.startedAt || a.attempt - b.attempt);
  return { used: counted.length, last: counted.at(-1) };
}

/** "IN_DEV was tried 3 times (runs.maxAttempts 3); the last attempt failed: finished without a verdict". */
export function attemptsExhausted(stage: Status, attempts: StageAttempts, max: number): string {
  const last = attempts.last;
  const how = last ? `; the last attempt ${last.status === 'succeeded' ? 'was sent back' : last.status}${last.note ? `: ${last.note}` : ''}` : '';
  return `${stage} was tried ${attempts.used} time${attempts.used === 1 ? '' : 's'} (runs.maxAttempts ${max})${how}`;
}
