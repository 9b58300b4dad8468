/** Ticket statuses, the transition table of the board, and the rules around them. */

export const PIPELINE = ['BACKLOG', 'READY', 'IN_DEV', 'IN_QA', 'IN_UX', 'IN_SEC', 'PM_REVIEW', 'DONE'] as const;
export const STATUSES = [...PIPELINE, 'BLOCKED'] as const;
export type Status = (typeof STATUSES)[number];

export const ACTIVE_STATUSES: readonly Status[] = ['IN_DEV', 'IN_QA', 'IN_UX', 'IN_SEC', 'PM_REVIEW'];
export const REVIEW_STATUSES: readonly Status[] = ['IN_QA', 'IN_UX', 'IN_SEC', 'PM_REVIEW'];

/** Who asks for a move. Some moves (reopening a DONE ticket) are the user's alone. */
export type Actor = 'user' | 'PM' | 'Security' | 'Gatherer' | 'Worktree' | 'runner' | 'cli' | (string & {});

export function isStatus(value: unknown): value is Status {
  return typeof value === 'string' && (STATUSES as readonly string[]).includes(value);
}

export function isActive(status: Status): boolean {
  return ACTIVE_STATUSES.includes(status);
}

/** The status after `status` in the pipeline, or undefined at DONE and BLOCKED. */
export function nextStage(status: Status): Status | undefined {
  const i = (PIPELINE as readonly Status[]).indexOf(status);
  return i >= 0 && i < PIPELINE.length - 1 ? PIPELINE[i + 1] : undefined;
}

export interface TransitionQuery {
  from: Status;
  to: Status;
  by: Actor;
  /** For a BLOCKED ticket: the status it was blocked from. */
  blockedFrom?: Status | undefined;
}

/**
 * Why a move is not allowed, or undefined when it is. One table, used by the store (which
 * enforces it), the Tickets view (drag and drop, "Move to...") and the CLI.
 */
export function transitionRefusal(q: TransitionQuery): string | undefined {
  const reason = refusalReason(q, (s) => s);
  return reason === undefined ? undefined : `${q.from} -> ${q.to}: ${reason}`;
}

/**
 * The reason alone, with statuses written by `name` (the editor passes their labels, so a person
 * reads "a blocked ticket goes back to Ready", not the codes).
 */
export function refusalReason(q: TransitionQuery, name: (s: Status) => string): string | undefined {
  const { from, to, by } = q;
  if (from === to) return `the ticket is already ${name(to)}`;
  if (to === 'BLOCKED') {
    return isActive(from) || from === 'READY' ? undefined : 'only a ready or active ticket can be blocked';
  }
  if (from === 'BLOCKED') {
    if (to === 'READY' || (q.blockedFrom !== undefined && to === q.blockedFrom)) return undefined;
    return `a blocked ticket goes back to ${name('READY')} or to ${q.blockedFrom ? name(q.blockedFrom) : 'the status it was blocked from'}`;
  }
  if (from === 'DONE') {
    if (to === 'READY') return by === 'user' ? undefined : 'only a user can reopen a finished ticket';
    return `a finished ticket can only be reopened to ${name('READY')}`;
  }
  if (from === 'BACKLOG' && to === 'DONE' && by === 'Gatherer') {
    // A gathered TODO whose comment vanished from the code was resolved there, not on the board.
    return undefined;
  }
  if ((from === 'BACKLOG' || from === 'READY') && to === 'DONE') {
    return 'a ticket that was never worked cannot be finished';
  }
  if (REVIEW_STATUSES.includes(from) && to === 'IN_DEV') return undefined;
  if (from === 'IN_DEV' && to === 'READY') return undefined;
  if (from === 'READY' && to === 'BACKLOG') return undefined;
  if (nextStage(from) === to) return undefined;
  // The pipeline setting may leave stages out: the runner and the agents skip forward over them.
  // People still move one step at a time (or drag a ticket to the stage they mean).
  if (by !== 'user' && isActive(from) && isForwardStep(from, to)) return undefined;
  return 'not a step of the pipeline';
}

/** True when `to` comes after `from` in the pipeline order (BACKLOG ... DONE). */
export function isForwardStep(from: Status, to: Status): boolean {
  const order = PIPELINE as readonly Status[];
  const i = order.indexOf(from);
  const j = order.indexOf(to);
  return i >= 0 && j > i;
}

export function canTransition(q: TransitionQuery): boolean {
  return transitionRefusal(q) === undefined;
}

/** Every status a ticket in `from` may move to, in pipeline order. */
export function legalTargets(from: Status, by: Actor, blockedFrom?: Status): Status[] {
  return STATUSES.filter((to) => canTransition({ from, to, by, blockedFrom }));
}
