/**
 * Self-heal: an IN_DEV ticket that no live run has worked for longer than the grace period goes
 * back to READY (worktree and branch kept, so the retry continues the work); after `maxHeals`
 * heals it goes to BLOCKED instead, so nothing loops forever. Runs whose agent and owner are gone
 * are marked `lost` first: they are what usually leaves a ticket stuck.
 *
 * Whether a run is dead is decided inside the write that marks it, with the clock read there and
 * the rows as they are then: evidence gathered earlier (before slow git work, or before this
 * process stalled) is never acted on as it was.
 */
import type { Ticket } from '../../domain/ticket';
import type { Clock } from '../../domain/clock';
import { runLiveness, type LivenessContext, type ProcessProbe } from '../../domain/liveness';
import type { Run } from '../../domain/run';
import { runsWithLiveTrees } from '../../process/liveTrees';
import type { Board, BoardReader, BoardTx } from '../../store/api';
import { formatDuration, MINUTE, type PmSettings } from './settings';
import { postToPmThread } from './thread';

export const HEAL_ACTOR = 'PM';

export interface HealPlan {
  ticketId: string;
  title: string;
  to: 'READY' | 'BLOCKED';
  idleForMs: number;
  reason: string;
}

export type HealedTicket = HealPlan;

/** A stuck ticket still inside the grace period, and when it becomes healable. */
export interface HealWait {
  ticketId: string;
  healableAt: number;
}

/**
 * A person moved the ticket to IN_DEV themselves, with a note (`move T-4 IN_DEV --note "mine"`,
 * or a move in the Tickets view), and no run has started since: they work on it by hand, so it is
 * neither stuck nor healed out from under them.
 */
export function heldByPerson(reader: BoardReader, ticket: Ticket): boolean {
  if (ticket.status !== 'IN_DEV') return false;
  const move = reader
    .history(ticket.id)
    .filter((h) => h.from !== h.to)
    .at(-1);
  if (move?.to !== 'IN_DEV' || move.by !== 'user' || !move.note?.trim()) return false;
  return !reader.listRuns({ ticketId: ticket.id }).some((r) => r.startedAt >= move.at);
}

/** What judging runs needs besides the rows: the probe, this process's own identity and stalls. */
export interface JudgeContext extends Omit<LivenessContext, 'now'> {
  /** This process's owner id: its own runs are never called lost by it (it records them itself). */
  self: string;
}

export interface RunVerdicts {
  /** Live rows whose agent and owner are gone, with why. */
  dead: { run: Run; reason: string }[];
  /** Live rows whose agent runs on although its owner is gone. */
  orphans: Run[];
  /** Tickets that have a run still alive (orphans included). */
  liveTickets: Set<string>;
}

/** Judges every queued or running row at `now`. */
export function judgeRuns(reader: BoardReader, now: number, ctx: JudgeContext): RunVerdicts {
  const verdicts: RunVerdicts = { dead: [], orphans: [], liveTickets: new Set() };
  for (const run of reader.listRuns({ status: ['running', 'queued'] })) {
    if (run.owner === ctx.self) {
      verdicts.liveTickets.add(run.ticketId);
      continue;
    }
    const l = runLiveness(run, { ...ctx, now });
    if (!l.alive) {
      verdicts.dead.push({ run, reason: l.reason });
      continue;
    }
    verdicts.liveTickets.add(run.ticketId);
    if (l.orphan) verdicts.orphans.push(run);
  }
  return verdicts;
}

/** Marks the dead runs lost, judged again inside this write; returns them and the verdicts. */
export function markRunsLost(tx: BoardTx, now: number, ctx: JudgeContext): { lost: Run[]; verdicts: RunVerdicts } {
  const verdicts = judgeRuns(tx, now, ctx);
  const lost: Run[] = [];
  for (const { run, reason } of verdicts.dead) {
    // It ended at its last sign of life, not when someone noticed: a ticket whose agent died an
    // hour ago has been stuck for an hour.
    const lastSeen = Math.min(now, Math.max(run.heartbeatAt, run.lastOutputAt ?? 0, run.startedAt));
    lost.push(tx.updateRun(run.id, { status: 'lost', endedAt: lastSeen, note: `Lost: ${reason}` }));
  }
  return { lost, verdicts };
}

/**
 * IN_DEV tickets with no live run for longer than the grace period. `liveTicketIds` holds the
 * tickets that have a run still alive; those still inside the grace period go to `waiting`.
 * `only` narrows the tickets looked at to those (in board order) when the caller knows no other
 * can be healed; by default every IN_DEV ticket is.
 */
export function planHeals(
  reader: BoardReader,
  now: number,
  settings: PmSettings,
  liveTicketIds: ReadonlySet<string>,
  waiting?: HealWait[],
  only?: readonly string[],
): HealPlan[] {
  const plans: HealPlan[] = [];
  const grace = settings.healGraceMinutes * MINUTE;
  const tickets = only === undefined ? reader.listTickets({ status: 'IN_DEV' }) : only.flatMap((id) => inDev(reader, id));
  for (const ticket of tickets) {
    if (liveTicketIds.has(ticket.id) || heldByPerson(reader, ticket)) continue;
    const runs = reader.listRuns({ ticketId: ticket.id });
    // Idle since it entered IN_DEV or since its last run stopped, whichever is later.
    let idleSince = ticket.statusSince;
    let lastRun: Run | undefined;
    for (const r of runs) {
      const ended = r.endedAt ?? r.heartbeatAt;
      if (ended > idleSince) idleSince = ended;
      if (!lastRun || r.startedAt > lastRun.startedAt) lastRun = r;
    }
    const idleFor = now - idleSince;
    if (idleFor <= grace) {
      waiting?.push({ ticketId: ticket.id, healableAt: idleSince + grace + 1 });
      continue;
    }
    const why = lastRun && lastRun.startedAt >= ticket.statusSince
      ? `its last run ${lastRun.id} ended ${lastRun.status}${lastRun.exitCode !== undefined ? ` (exit ${lastRun.exitCode})` : ''}`
      : 'no agent run was started for it';
    const capped = ticket.healCount >= settings.maxHeals;
    plans.push({
      ticketId: ticket.id,
      title: ticket.title,
      to: capped ? 'BLOCKED' : 'READY',
      idleForMs: idleFor,
      reason: capped
        ? `Stuck in IN_DEV again after ${ticket.healCount} self-heals: ${why}, and nothing has worked on it for ${formatDuration(idleFor)}. A human should look before it is retried.`
        : `Stuck in IN_DEV with no live agent for ${formatDuration(idleFor)} (${why}). Moved back to READY for a retry (heal ${ticket.healCount + 1} of ${settings.maxHeals}); its worktree and branch are kept so the retry continues the work.`,
    });
  }
  return plans;
}

function inDev(reader: BoardReader, id: string): Ticket[] {
  const ticket = reader.getTicket(id);
  return ticket?.status === 'IN_DEV' ? [ticket] : [];
}

/** Applies the plans inside a transaction; tickets another process already moved are skipped. */
export function applyHeals(tx: BoardTx, plans: readonly HealPlan[]): HealedTicket[] {
  const healed: HealedTicket[] = [];
  for (const plan of plans) {
    const ticket = tx.getTicket(plan.ticketId);
    if (ticket?.status !== 'IN_DEV') continue;
    tx.transition(plan.ticketId, 'IN_DEV', plan.to, HEAL_ACTOR, plan.reason);
    tx.updateTicket(plan.ticketId, {
      assignedAgent: null,
      ...(plan.to === 'READY' ? { healCount: ticket.healCount + 1 } : {}),
    });
    postToPmThread(tx, plan.ticketId, plan.reason, 'system', { heal: plan.to });
    healed.push(plan);
  }
  return healed;
}

export interface HealOptions {
  clock: Clock;
  settings: PmSettings;
  probe: ProcessProbe;
  /** Runs whose agent's process tree lives on after its leader exited; looked up when not given. */
  treeAlive?: ReadonlySet<string> | undefined;
}

export interface HealOutcome {
  healed: HealedTicket[];
  lost: Run[];
  /** Stuck tickets inside the grace period, soonest healable first. */
  waiting: HealWait[];
}

/**
 * "Heal Stuck Tickets": marks dead runs lost and heals stuck tickets in one durable write. Safe
 * from any window or the CLI, whether or not the PM agent is paused.
 */
export async function healStuckTickets(board: Board, opts: HealOptions): Promise<HealOutcome> {
  await board.refresh();
  const treeAlive = opts.treeAlive ?? (await runsWithLiveTrees(board.listRuns({ status: ['queued', 'running'] }), opts.probe));
  return board.write((tx) => {
    const now = opts.clock.now();
    const ctx: JudgeContext = { self: board.ownerId, heartbeatTimeoutMs: opts.settings.heartbeatTimeoutMs, probe: opts.probe, treeAlive };
    const { lost, verdicts } = markRunsLost(tx, now, ctx);
    const waiting: HealWait[] = [];
    const healed = applyHeals(tx, planHeals(tx, now, opts.settings, verdicts.liveTickets, waiting));
    return { healed, lost, waiting: waiting.sort((a, b) => a.healableAt - b.healableAt) };
  });
}
