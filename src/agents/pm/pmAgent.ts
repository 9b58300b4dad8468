/**
 * The PM agent. Each cycle: finds dead runs (lost) and stalled or overrun ones (an overrun is
 * stopped and marked timed_out), heals stuck IN_DEV tickets, checks in on every active ticket
 * once per check-in interval, keeps one PM thread per ticket, and reports board progress and
 * blocked tickets whose reason has cleared. A cycle's changes are durable writes of at most
 * CHECKINS_PER_WRITE check-ins each, made only when something changed.
 *
 * A cycle reads what changed since the last one (boardView.ts): the tickets the board reports
 * touched, the live runs, and the tickets whose check-in or self-heal fell due; the few tickets it
 * acts on are read in full inside the writes. With `incremental: false` it reads the whole board
 * every cycle instead; a test checks over random histories that both decide the same.
 */
import { setImmediate } from 'node:timers';
import { findingsKey, formatPercent, type CheckIn } from '../../domain/checkin';
import type { Conversation } from '../../domain/conversation';
import { errorMessage } from '../../domain/errors';
import type { ProcessProbe } from '../../domain/liveness';
import type { Run } from '../../domain/run';
import { ACTIVE_STATUSES, STATUSES, type Status } from '../../domain/status';
import { isOpenBug, type Ticket } from '../../domain/ticket';
import { overlapsByTicket } from '../../radar/overlaps';
import type { BoardReader, BoardTx } from '../../store/api';
import type { BackgroundAgent, CycleContext, CycleResult, Logger } from '../agent';
import { analyzeTicket, assessRun, checkInMessage, type Analysis, type RunAssessment } from './analysis';
import { namedTickets, PmBoardView, type ViewChanges } from './boardView';
import { applyHeals, heldByPerson, judgeRuns, markRunsLost, planHeals, type JudgeContext } from './heal';
import { runsWithLiveTrees, type TreeCheck } from '../../process/liveTrees';
import { endedRunsWithLiveAgents, runsWithLeftovers, stopLeftovers } from '../../process/leftovers';
import { stopRunAgent } from '../../process/runAgent';
import { parsePmReport, PM_REPORT_META, type PmReport } from './report';
import { MINUTE, type PmSettings } from './settings';
import type { RunStopper, WorktreeActivity, WorktreeSignals } from './signals';
import { ensurePmThread, PM_AUTHOR, PM_THREAD_KEY, postToPmThread } from './thread';

export interface PmAgentDeps {
  settings(): PmSettings;
  probe: ProcessProbe;
  signals: WorktreeSignals;
  stopper: RunStopper;
  /** When this process last came back from a stall of its own (StallWatch), if it did. */
  awakeSince?(): number | undefined;
  /** Whether a process tree still lives; defaults to the process table. */
  treeAlive?: TreeCheck;
  /** Prunes old run folders (retention); called at most every PRUNE_EVERY_MS. */
  pruneRuns?(signal: AbortSignal): Promise<number>;
  /** Read only what changed since the last cycle (the default); false reads the whole board every cycle. */
  incremental?: boolean;
}

/** Board progress: DONE over every ticket that left the backlog. */
export function boardProgress(counts: Record<Status, number>): string {
  let total = 0;
  for (const s of STATUSES) if (s !== 'BACKLOG') total += counts[s] ?? 0;
  return formatPercent(total === 0 ? 0 : ((counts.DONE ?? 0) / total) * 100);
}

/**
 * At most this many check-ins per cycle, most overdue first. With the default intervals (30 s
 * cycles, 15 min check-ins) that is 750 per check-in interval, more than any board keeps active,
 * while no single cycle holds the extension host's thread for hundreds of milliseconds.
 */
export const MAX_CHECKINS_PER_CYCLE = 25;
/**
 * At most this many check-ins per write: a check-in's inserts and reads hold the thread for a
 * fraction of a millisecond to a few, and a cycle's 25 in one write held it past a frame.
 */
export const CHECKINS_PER_WRITE = 5;
/** Run folders are pruned at most this often. */
export const PRUNE_EVERY_MS = 10 * MINUTE;

interface StopDecision {
  status: 'timed_out' | 'cancelled' | 'failed';
  note: string;
  /** Filed on the ticket with the stop (a worktree that vanished under an orphan). */
  bug?: { title: string; description: string } | undefined;
}

interface Gathered {
  /** When the cycle began, by its own clock. */
  startedAt: number;
  /** Tickets whose check-in is due this cycle. */
  due: Set<string>;
  assessments: Map<string, RunAssessment>;
  activity: Map<string, WorktreeActivity>;
  missingWorktrees: Set<string>;
  /** Runs stopped this cycle, and how they are to be recorded. */
  stopped: Map<string, StopDecision>;
  /** Runs whose process tree outlived its leader. */
  treeAlive: Set<string>;
  /** What changed since the last cycle's write, as taken in so far (the write takes in the rest). */
  changes: CycleChanges;
  /** Processes this cycle stopped that exited agents left running after their owners died. */
  leftovers: LeftoverStop[];
}

/** What the PM stopped of an exited agent's processes, for the run's note, the report and the log. */
export interface LeftoverStop {
  runId: string;
  ticketId: string;
  pids: number[];
}

/** An active ticket as a cycle sees it. */
interface ActiveView {
  ticket: Ticket;
  latest: CheckIn | undefined;
  /** A person holds it in IN_DEV (see heldByPerson). */
  held: boolean;
}

/** What a cycle's write decided, and what the next cycle may take from it. */
interface Applied {
  report: PmReport;
  /** Why each blocked ticket can be unblocked (undefined: it cannot), as found in this write. */
  unblockable: Map<string, string | undefined>;
}

/** What the first of a cycle's writes found, carried to the writes that make its check-ins and the last one. */
interface Pass {
  /** The cycle's report so far: everything but `blocked` and `unblockable`. */
  report: PmReport;
  /** When the first write ran: every check-in of the cycle is judged at this moment. */
  now: number;
  healed: string[];
  /** A heal moved a ticket to BLOCKED (the view has not seen it). */
  healedToBlocked: boolean;
  /** Whether each active ticket is blocked, in board order (check-ins update their own). */
  blocked: Map<string, boolean>;
  /** The active tickets whose check-in is due, in board order. */
  due: ActiveView[];
}

/** Everything the board view took in since the last cycle's write. */
class CycleChanges {
  full = false;
  readonly tickets = new Set<string>();

  add(c: ViewChanges): void {
    if (c.full) this.full = true;
    for (const id of c.tickets) this.tickets.add(id);
  }
}

/** How far back, after the first cycle, runs that ended are looked at for what their agents left. */
const LEFTOVER_LOOKBACK_MS = 60 * MINUTE;

const pause = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class PmAgent implements BackgroundAgent {
  readonly name = 'PM' as const;
  readonly defaultIntervalSeconds = 30;
  /** The clock jumped inside one of this agent's cycles: its own stall, noticed then. */
  private jumpedAt: number | undefined;
  private lastPruneAt = -Infinity;
  /** Whether a cycle looked for what exited agents left running among all runs yet. */
  private leftoversSwept = false;
  private readonly view = new PmBoardView();
  /** What the last write found for each blocked ticket: an unchanged ticket keeps its answer. */
  private unblockable = new Map<string, string | undefined>();

  constructor(private readonly deps: PmAgentDeps) {}

  private get incremental(): boolean {
    return this.deps.incremental !== false;
  }

  async runCycle(ctx: CycleContext): Promise<CycleResult> {
    const settings = this.deps.settings();
    let applied: Applied;
    try {
      ctx.setActivity('Checking runs');
      const gathered = await this.gather(ctx, settings);
      ctx.setActivity('Writing check-ins');
      applied = await this.write(ctx, gathered, settings);
    } catch (err) {
      // What the view took in was not acted on: the next cycle reads everything again.
      this.view.invalidate();
      throw err;
    }
    this.unblockable = applied.unblockable;
    await this.prune(ctx);
    return summarize(applied.report);
  }

  dispose(): Promise<void> {
    this.view.dispose();
    return Promise.resolve();
  }

  /**
   * A cycle's changes, in writes of at most CHECKINS_PER_WRITE check-ins each, so that no write
   * holds the thread long: the first also records stops, lost runs and heals, the last resolves
   * threads, reviews blocked tickets and writes the report. Each write takes in what other
   * processes changed before it (a ticket is checked in as its own write has it). A write body may
   * run more than once (the store retries it), so each one keeps its results to itself until its
   * write resolves.
   */
  private async write(ctx: CycleContext, g: Gathered, s: PmSettings): Promise<Applied> {
    let pass: Pass | undefined;
    let done = 0;
    for (;;) {
      // The reads before a write and the write itself are each a stretch of the thread: not one.
      await pause();
      const started = pass;
      const out = await ctx.board.write((tx) => {
        if (started && this.incremental) g.changes.add(this.view.takeNow(tx));
        const p = started ?? this.begin(tx, g, s, ctx);
        const chunk = p.due.slice(done, done + CHECKINS_PER_WRITE);
        const blocked = new Map(p.blocked);
        for (const [id, b] of this.checkIns(tx, p, chunk, g, s)) blocked.set(id, b);
        const next: Pass = { ...p, blocked };
        return { pass: next, applied: done + chunk.length >= p.due.length ? this.finish(tx, next, g) : undefined };
      });
      if (out.applied) return out.applied;
      pass = out.pass;
      done += CHECKINS_PER_WRITE;
    }
  }

  /** Everything that needs I/O, done before the writes. */
  private async gather(ctx: CycleContext, s: PmSettings): Promise<Gathered> {
    const { board, clock, signal } = ctx;
    await board.refresh();
    const startedAt = clock.now();
    const leftovers = await this.stopLeftovers(ctx, s);
    await pause();
    const liveRows = board.listRuns({ status: ['running', 'queued'] });
    const treeAlive = await runsWithLiveTrees(liveRows, this.deps.probe, this.deps.treeAlive);
    // A first look only: the write judges again with what is true then.
    const verdicts = judgeRuns(board, clock.now(), this.judgeContext(ctx, s, treeAlive, startedAt));
    const deadIds = new Set(verdicts.dead.map((d) => d.run.id));
    const orphans = new Set(verdicts.orphans.map((r) => r.id));
    const activity = new Map<string, WorktreeActivity>();
    const missingWorktrees = new Set<string>();
    const assessments = new Map<string, RunAssessment>();
    const stopped = new Map<string, StopDecision>();

    const changes = new CycleChanges();
    let active: readonly ActiveView[];
    if (this.incremental) {
      this.view.attach(board);
      changes.add(await this.view.take(board, pause));
      active = this.view.activeTickets();
    } else {
      active = board.listTickets({ status: ACTIVE_STATUSES }).map((ticket) => ({ ticket, latest: board.latestCheckIn(ticket.id), held: false }));
    }
    const now = clock.now();
    const due = dueTickets(active, now, s);
    const live = liveRows.filter((r) => !deadIds.has(r.id));
    const liveTicketIds = new Set(live.map((r) => r.ticketId));
    const needActivity: Ticket[] = [];
    for (const { ticket: t } of active) if (t.worktree && (due.has(t.id) || liveTicketIds.has(t.id))) needActivity.push(t);
    for (const t of needActivity) {
      signal.throwIfAborted();
      const wt = t.worktree!;
      try {
        const a = await this.deps.signals.activity(wt.path, wt.base, signal);
        if (a) activity.set(t.id, a);
        else missingWorktrees.add(t.id);
      } catch (err) {
        ctx.log.warn(`PM: could not read the worktree of ${t.id}: ${errorMessage(err)}`);
      }
    }

    // A queued run is alive (its ticket is not stuck) but has not started: no stall, no overrun.
    for (const run of live.filter((r) => r.status === 'running')) {
      const a = assessRun(run, now, true, activity.get(run.ticketId), s);
      assessments.set(run.id, a);
      if (a.overrun) await this.stopRun(ctx, run, { status: 'timed_out', note: `Stopped by the PM after ${s.maxRunMinutes} min` }, stopped);
    }
    // An orphan (its owner is gone) whose ticket moved on, or whose worktree vanished, must not
    // keep working: nobody else is there to stop it.
    for (const run of live.filter((r) => orphans.has(r.id) && !stopped.has(r.id))) {
      const ticket = board.getTicket(run.ticketId);
      if (ticket?.status !== run.stage) {
        const note = `${run.ticketId} ${ticket ? `moved to ${ticket.status}` : 'was deleted'} while its orphaned agent worked on ${run.stage}`;
        await this.stopRun(ctx, run, { status: 'cancelled', note }, stopped);
      } else if (missingWorktrees.has(ticket.id)) {
        const note = 'the worktree disappeared while its orphaned agent ran';
        const bug = { title: 'Worktree disappeared while the agent ran', description: `The worktree of ${ticket.id} went away while run ${run.id}, whose owner was gone, worked in it; the PM stopped the agent. Uncommitted changes in it are lost.` };
        await this.stopRun(ctx, run, { status: 'failed', note, bug }, stopped);
      }
    }
    return { startedAt, due, assessments, activity, missingWorktrees, stopped, treeAlive, changes, leftovers };
  }

  /**
   * Stops what exited agents left running (a grandchild in their process group) once their owner
   * is gone too: the owner would have stopped it when its agent exited, and nobody else will. The
   * run's own agent is not touched: while it lives it is an orphan, listed for a person.
   */
  private async stopLeftovers(ctx: CycleContext, s: PmSettings): Promise<LeftoverStop[]> {
    // The first cycle looks at every run (its owner may have died long ago); later ones at the live
    // runs and those that ended lately, since an owner alive when its agent ended stopped the rest.
    const since = ctx.clock.now() - LEFTOVER_LOOKBACK_MS;
    // A run without a recorded pid has no process to look at (it never started, or its start was never written).
    const runs = ctx.board.listRuns(this.leftoversSwept ? { liveOrEndedSince: since, withPid: true } : { withPid: true });
    this.leftoversSwept = true;
    const found = await runsWithLeftovers(runs, this.deps.probe);
    const endedAgents = endedRunsWithLiveAgents(runs, this.deps.probe, ctx.clock.now(), s.stopGraceMs);
    if (found.length === 0 && endedAgents.length === 0) return [];
    ctx.signal.throwIfAborted();
    await ctx.fence?.();
    ctx.setActivity('Stopping what ended agents left running');
    const stops = await Promise.all(
      found.map(async ({ run }) => {
        const pids = await stopLeftovers(run, { graceMs: s.stopGraceMs, log: ctx.log }).catch((err: unknown) => {
          ctx.log.error(`PM: stopping what the agent of run ${run.id} left running failed: ${errorMessage(err)}`);
          return [];
        });
        if (pids.length > 0) ctx.log.info(`PM: stopped ${describeLeftovers(pids)} that the agent of run ${run.id} (${run.ticketId}) left running after it and its owner were gone`);
        return { runId: run.id, ticketId: run.ticketId, pids };
      }),
    );
    // An agent that gave its verdict and ran on after its owner died: its outcome stands.
    for (const run of endedAgents) {
      const check = await stopRunAgent(run, { graceMs: s.stopGraceMs, log: ctx.log }).catch((err: unknown) => {
        ctx.log.error(`PM: stopping the agent of ended run ${run.id} failed: ${errorMessage(err)}`);
        return 'gone' as const;
      });
      if (check !== 'same' || run.pid === undefined) continue;
      ctx.log.info(`PM: stopped the agent of run ${run.id} (${run.ticketId}, pid ${run.pid}), which ran on after its run ended and its owner was gone`);
      stops.push({ runId: run.id, ticketId: run.ticketId, pids: [run.pid] });
    }
    return stops.filter((l) => l.pids.length > 0);
  }

  /** Stops a run's agent through the stopper, after making sure this cycle still counts. */
  private async stopRun(ctx: CycleContext, run: Run, decision: StopDecision, stopped: Gathered['stopped']): Promise<void> {
    ctx.signal.throwIfAborted();
    await ctx.fence?.();
    ctx.setActivity(`Stopping run ${run.id} of ${run.ticketId}`);
    try {
      await this.deps.stopper.stop(run, decision.status, decision.note);
      stopped.set(run.id, decision);
    } catch (err) {
      ctx.log.error(`PM: stopping run ${run.id} failed: ${errorMessage(err)}`);
    }
  }

  private judgeContext(ctx: CycleContext, s: PmSettings, treeAlive: ReadonlySet<string>, cycleStartedAt: number): JudgeContext {
    return {
      self: ctx.board.ownerId,
      heartbeatTimeoutMs: s.heartbeatTimeoutMs,
      probe: this.deps.probe,
      treeAlive,
      awakeSince: this.awakeSince(ctx.clock.now(), cycleStartedAt, s),
    };
  }

  /**
   * When this process last came back from a stall: the stall watch's answer, or the moment this
   * cycle's own clock jumped by more than the heartbeat timeout (the thread was frozen mid-cycle).
   */
  private awakeSince(now: number, cycleStartedAt: number, s: PmSettings): number | undefined {
    if (now - cycleStartedAt > s.heartbeatTimeoutMs) this.jumpedAt = Math.max(this.jumpedAt ?? -Infinity, now);
    const watched = this.deps.awakeSince?.();
    const latest = Math.max(this.jumpedAt ?? -Infinity, watched ?? -Infinity);
    return Number.isFinite(latest) ? latest : undefined;
  }

  private async prune(ctx: CycleContext): Promise<void> {
    const now = ctx.clock.now();
    if (!this.deps.pruneRuns || now - this.lastPruneAt < PRUNE_EVERY_MS) return;
    this.lastPruneAt = now;
    try {
      const pruned = await this.deps.pruneRuns(ctx.signal);
      if (pruned > 0) ctx.log.info(`PM: pruned the folders of ${pruned} old runs`);
    } catch (err) {
      ctx.log.warn(`PM: pruning old run folders failed: ${errorMessage(err)}`);
    }
  }

  /**
   * The first of a cycle's writes, up to the check-ins: takes in what other processes changed,
   * records stops, marks lost runs, heals, and lists the stuck, blocked and due active tickets.
   */
  private begin(tx: BoardTx, g: Gathered, s: PmSettings, ctx: CycleContext): Pass {
    const now = ctx.clock.now();
    // What other processes changed since the cycle's reads (this write caught up with them), taken
    // in before this write changes anything.
    if (this.incremental) g.changes.add(this.view.takeNow(tx));
    const changes = this.incremental ? g.changes : undefined;
    // What this cycle stopped is recorded as why it stopped, before anything is judged lost.
    const timedOut: string[] = [];
    const ended = new Set<string>();
    for (const [id, stop] of g.stopped) {
      const run = tx.getRun(id);
      if (!run || (run.status !== 'running' && run.status !== 'queued')) continue;
      tx.updateRun(id, { status: stop.status, endedAt: now, note: stop.note });
      ended.add(run.ticketId);
      if (stop.bug) tx.addBug({ ticketId: run.ticketId, ...stop.bug, severity: 'high', foundBy: PM_AUTHOR });
      if (stop.status === 'timed_out') timedOut.push(id);
    }
    const { lost: lostRuns, verdicts } = markRunsLost(tx, now, this.judgeContext(ctx, s, g.treeAlive, g.startedAt));
    const lost = lostRuns.map((r) => r.id);
    for (const r of lostRuns) ended.add(r.ticketId);
    for (const l of g.leftovers) {
      const run = lostRuns.find((r) => r.id === l.runId);
      if (run) tx.updateRun(run.id, { note: `${run.note ?? 'Lost'}; the PM stopped ${describeLeftovers(l.pids)} its agent left running` });
    }
    const { liveTickets } = verdicts;
    const plans = planHeals(tx, now, s, liveTickets, undefined, changes && this.healCandidates(now, s, liveTickets, ended));
    const healedPlans = applyHeals(tx, plans);
    const healed = healedPlans.map((h) => h.ticketId);
    if (healed.length > 0) logHeals(ctx.log, healed);

    const report: PmReport = {
      at: now,
      boardProgress: boardProgress(changes && healed.length === 0 ? this.view.countByStatus(tx) : tx.countByStatus()),
      runs: [],
      stuck: [],
      healed,
      lost,
      timedOut,
      blocked: [],
      unblockable: [],
      orphans: verdicts.orphans.filter((r) => !g.stopped.has(r.id)).map((r) => ({ runId: r.id, ticketId: r.ticketId, pid: r.pid })),
      leftovers: g.leftovers,
    };
    for (const a of g.assessments.values()) {
      if (a.stalled || a.overrun) report.runs.push({ runId: a.run.id, ticketId: a.run.ticketId, stalled: a.stalled, overrun: a.overrun, lastProgressAt: a.lastProgressAt });
    }

    const active: readonly ActiveView[] = changes
      ? this.view.activeTickets().filter((a) => !healed.includes(a.ticket.id))
      : tx.listTickets({ status: ACTIVE_STATUSES }).map((ticket) => ({ ticket, latest: tx.latestCheckIn(ticket.id), held: heldByPerson(tx, ticket) }));
    const blocked = new Map<string, boolean>();
    const due: ActiveView[] = [];
    for (const view of active) {
      const { ticket: seen, latest, held } = view;
      if (seen.status === 'IN_DEV' && !liveTickets.has(seen.id) && !held) report.stuck.push(seen.id);
      blocked.set(seen.id, latest !== undefined && latest.type === 'blocker' && !latest.resolved);
      if (g.due.has(seen.id)) due.push(view);
    }
    return { report, now, healed, healedToBlocked: healedPlans.some((h) => h.to === 'BLOCKED'), blocked, due };
  }

  /**
   * The check-ins of `due` (a slice of the pass's due tickets), in this write: each ticket as the
   * write has it (a stop may have filed a bug on it). Returns whether each is blocked now.
   */
  private checkIns(tx: BoardTx, pass: Pass, due: readonly ActiveView[], g: Gathered, s: PmSettings): Map<string, boolean> {
    const blockedNow = new Map<string, boolean>();
    let overlaps: ReturnType<typeof overlapsByTicket> | undefined;
    for (const { ticket: seen, held } of due) {
      const ticket = tx.getTicket(seen.id) ?? seen;
      overlaps ??= overlapsByTicket(tx.listChangedFiles());
      const stageRuns = tx.listRuns({ ticketId: ticket.id }).filter((r) => r.stage === ticket.status && r.startedAt >= ticket.statusSince);
      const liveRun = stageRuns.find((r) => g.assessments.has(r.id));
      const analysis = analyzeTicket(
        {
          ticket,
          bugs: tx.listBugs(ticket.id),
          stageRuns,
          live: liveRun ? g.assessments.get(liveRun.id) : undefined,
          activity: g.activity.get(ticket.id),
          worktreeMissing: g.missingWorktrees.has(ticket.id),
          overlaps: overlaps.get(ticket.id),
          heldByPerson: held,
          now: pass.now,
        },
        s,
      );
      this.recordCheckIn(tx, ticket, analysis);
      blockedNow.set(seen.id, analysis.type === 'blocker');
    }
    return blockedNow;
  }

  /** The end of a cycle's writes: threads of tickets that left, blocked tickets that can move on, the report. */
  private finish(tx: BoardTx, pass: Pass, g: Gathered): Applied {
    const changes = this.incremental ? g.changes : undefined;
    const report: PmReport = { ...pass.report, blocked: [...pass.blocked].filter(([, b]) => b).map(([id]) => id) };
    // Since the last cycle's writes, only a ticket that changed (or was healed just now) can have
    // left the active statuses with its thread open, or changed whether it can be unblocked.
    const touched = changes && !changes.full ? new Set([...changes.tickets, ...pass.healed]) : undefined;
    this.resolveThreadsOfInactiveTickets(tx, touched);
    const blocked = touched && !pass.healedToBlocked ? this.view.blockedTickets() : tx.listTickets({ status: 'BLOCKED' });
    const unblockable = new Map<string, string | undefined>();
    report.unblockable = this.reviewBlocked(tx, blocked, touched, unblockable);
    // The report is written when it says something new: `at` is when it last did.
    const previous = parsePmReport(tx.getMeta(PM_REPORT_META));
    if (previous === undefined || JSON.stringify({ ...previous, at: 0 }) !== JSON.stringify({ ...report, at: 0 })) tx.setMeta(PM_REPORT_META, JSON.stringify(report));
    return { report, unblockable };
  }

  /**
   * The IN_DEV tickets a heal may move: no live run, and idle past the grace period by what the
   * view read (a run's end only ever makes a ticket idle since later), or a run of theirs ended in
   * this very write. planHeals reads each again inside the write.
   */
  private healCandidates(now: number, s: PmSettings, liveTickets: ReadonlySet<string>, ended: ReadonlySet<string>): string[] {
    const grace = s.healGraceMinutes * MINUTE;
    const out: string[] = [];
    for (const { ticket, idleSince } of this.view.activeTickets()) {
      if (ticket.status !== 'IN_DEV' || liveTickets.has(ticket.id)) continue;
      if (ended.has(ticket.id) || now - (idleSince ?? now) > grace) out.push(ticket.id);
    }
    return out;
  }

  /**
   * Progress check-ins are stored quietly. Anything else goes to the ticket's one PM thread, with
   * a new message only when the findings changed. Cleared findings resolve the thread.
   */
  private recordCheckIn(tx: BoardTx, ticket: Ticket, a: Analysis): void {
    const key = findingsKey(a.type, a.findings);
    const thread = tx.findConversation(ticket.id, PM_THREAD_KEY);
    if (a.type === 'progress') {
      tx.addCheckIn({ ticketId: ticket.id, type: a.type, summary: a.summary, findings: a.findings, actionRequired: false, ...(thread ? { conversationId: thread.id } : {}) });
      if (thread?.status === 'open' && this.lastFindingsKey(tx, thread.id) !== key && this.threadHasOpenFindings(tx, thread.id)) {
        tx.addMessage({ conversationId: thread.id, author: PM_AUTHOR, kind: 'checkin', body: `Findings cleared. ${a.summary}`, metadata: { findingsKey: key, type: a.type } });
        tx.setConversationStatus(thread.id, 'resolved');
        for (const c of tx.listCheckIns(ticket.id)) if (!c.resolved) tx.setCheckInResolved(c.id, true);
      }
      return;
    }
    const changed = !thread || thread.status !== 'open' || this.lastFindingsKey(tx, thread.id) !== key;
    const conv = changed
      ? postToPmThread(tx, ticket.id, checkInMessage(a), 'checkin', { findingsKey: key, type: a.type, findings: a.findings })
      : ensurePmThread(tx, ticket.id);
    tx.addCheckIn({ ticketId: ticket.id, type: a.type, summary: a.summary, findings: a.findings, actionRequired: a.actionRequired, conversationId: conv.id });
  }

  private lastFindingsKey(reader: BoardReader, conversationId: string): string | undefined {
    const messages = reader.listMessages(conversationId);
    for (let i = messages.length - 1; i >= 0; i--) {
      const key = messages[i].metadata?.findingsKey;
      if (typeof key === 'string') return key;
    }
    return undefined;
  }

  private threadHasOpenFindings(reader: BoardReader, conversationId: string): boolean {
    const messages = reader.listMessages(conversationId);
    for (let i = messages.length - 1; i >= 0; i--) {
      const type = messages[i].metadata?.type;
      if (typeof type === 'string') return type !== 'progress';
    }
    return false;
  }

  /**
   * A PM thread resolves itself once its ticket leaves the active statuses. `only`: the tickets
   * that may have left them since the last write (every other ticket's thread was settled then).
   */
  private resolveThreadsOfInactiveTickets(tx: BoardTx, only: ReadonlySet<string> | undefined): void {
    const open = only === undefined ? tx.listConversations({ type: 'pm_checkin', status: 'open' }) : [...only].flatMap((ticketId) => openThreadsOfInactive(tx, ticketId));
    for (const conv of open) {
      const ticket = tx.getTicket(conv.ticketId);
      if (!ticket || ACTIVE_STATUSES.includes(ticket.status) || ticket.status === 'BLOCKED') continue;
      // The move itself is in the ticket's history; the thread just stops asking for attention.
      tx.setConversationStatus(conv.id, 'resolved');
      for (const c of tx.listCheckIns(ticket.id)) if (!c.resolved) tx.setCheckInResolved(c.id, true);
    }
  }

  /**
   * BLOCKED tickets whose reason has cleared: every blocking bug is fixed (at least one since it
   * was blocked), or the ticket it waits for (named in the reason) is DONE. Reported once.
   * `touched`: the tickets that changed since the last write; any other blocked ticket, waiting for
   * none of them, keeps last write's answer, and its thread (unchanged too) already says it.
   * Fills `found` with this write's answer for every blocked ticket.
   */
  private reviewBlocked(tx: BoardTx, blocked: readonly Ticket[], touched: ReadonlySet<string> | undefined, found: Map<string, string | undefined>): string[] {
    const cleared: string[] = [];
    for (const ticket of blocked) {
      const deps = namedTickets(ticket);
      const same = touched !== undefined && this.unblockable.has(ticket.id) && !touched.has(ticket.id) && !deps.some((id) => touched.has(id));
      const why = same ? this.unblockable.get(ticket.id) : unblockReason(tx, ticket, deps);
      found.set(ticket.id, why);
      if (!why) continue;
      cleared.push(ticket.id);
      if (same) continue;
      const body = `${ticket.id} was blocked (${ticket.blockedReason ?? 'no reason given'}), but ${why}. It can be unblocked.`;
      const key = `unblockable:${why}`;
      const thread = tx.findConversation(ticket.id, PM_THREAD_KEY);
      if (thread && thread.status === 'open' && this.lastFindingsKey(tx, thread.id) === key) continue;
      const conv = postToPmThread(tx, ticket.id, body, 'checkin', { findingsKey: key, type: 'guidance' });
      tx.addCheckIn({
        ticketId: ticket.id,
        type: 'guidance',
        summary: body,
        findings: { progressPercent: 0, concerns: [], blockers: [], achievements: [why], evidence: [`Blocked since ${new Date(ticket.statusSince).toISOString()}`], stalled: false },
        actionRequired: true,
        conversationId: conv.id,
      });
    }
    return cleared;
  }
}

function describeLeftovers(pids: readonly number[]): string {
  return `${pids.length} process${pids.length === 1 ? '' : 'es'} (pid ${pids.join(', ')})`;
}

/** Active tickets whose last check-in is older than the interval, most overdue first, capped. */
function dueTickets(active: readonly ActiveView[], now: number, s: PmSettings): Set<string> {
  const overdue: { id: string; last: number }[] = [];
  for (const { ticket, latest } of active) {
    const last = latest?.createdAt ?? -Infinity;
    if (now - last >= s.checkinIntervalMinutes * MINUTE) overdue.push({ id: ticket.id, last });
  }
  overdue.sort((a, b) => a.last - b.last);
  return new Set(overdue.slice(0, MAX_CHECKINS_PER_CYCLE).map((o) => o.id));
}

/** The open PM threads of a ticket that is gone from the active and blocked statuses. */
function openThreadsOfInactive(reader: BoardReader, ticketId: string): Conversation[] {
  const ticket = reader.getTicket(ticketId);
  if (!ticket || ACTIVE_STATUSES.includes(ticket.status) || ticket.status === 'BLOCKED') return [];
  return reader.listConversations({ ticketId, type: 'pm_checkin', status: 'open' });
}

/** Why a blocked ticket can be unblocked now, or undefined. */
function unblockReason(reader: BoardReader, ticket: Ticket, deps: readonly string[]): string | undefined {
  const bugs = reader.listBugs(ticket.id);
  const blocking = bugs.filter((b) => isOpenBug(b) && (b.severity === 'critical' || b.severity === 'high'));
  const fixedSince = bugs.filter((b) => b.fixed && (b.fixedAt ?? 0) >= ticket.statusSince && (b.severity === 'critical' || b.severity === 'high'));
  const depsDone = deps.length > 0 && deps.every((id) => reader.getTicket(id)?.status === 'DONE');
  if (blocking.length === 0 && fixedSince.length > 0) return `the blocking bug${fixedSince.length > 1 ? 's are' : ' is'} fixed (${fixedSince.map((b) => b.title).join('; ')})`;
  if (depsDone) return `${deps.join(', ')} ${deps.length > 1 ? 'are' : 'is'} DONE`;
  return undefined;
}

function logHeals(log: Logger, healed: string[]): void {
  log.info(`PM: healed ${healed.join(', ')}`);
}

function summarize(r: PmReport): CycleResult {
  const parts = [`Board ${r.boardProgress} done`];
  const stalled = r.runs.filter((m) => m.stalled).length;
  if (stalled) parts.push(`${stalled} stalled`);
  if (r.timedOut.length) parts.push(`${r.timedOut.length} overrun stopped`);
  if (r.lost.length) parts.push(`${r.lost.length} lost`);
  if (r.orphans.length) parts.push(`${r.orphans.length} orphaned agent${r.orphans.length === 1 ? '' : 's'}`);
  const leftovers = r.leftovers ?? [];
  if (leftovers.length) parts.push(`stopped ${describeLeftovers(leftovers.flatMap((l) => l.pids))} left by ended agents of ${leftovers.map((l) => l.ticketId).join(', ')}`);
  if (r.healed.length) parts.push(`healed ${r.healed.join(', ')}`);
  if (r.stuck.length) parts.push(`${r.stuck.length} stuck`);
  if (r.blocked.length) parts.push(`${r.blocked.length} blocked`);
  if (r.unblockable.length) parts.push(`${r.unblockable.join(', ')} can be unblocked`);
  return { summary: parts.join(' · '), attention: stalled > 0 || r.orphans.length > 0 || r.stuck.length > 0 || r.blocked.length > 0 || r.unblockable.length > 0 };
}

